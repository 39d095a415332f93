"""``/objects/<name>`` with versions (book §4.3).

Go: ``chapter3/apiServer/objects/{put,get,del}.go``. Overrides chapter 2's ``put`` and ``get`` and
adds ``delete``. The body is stored under its hash, ``key(H)``, and hashed while it streams: the
last chunk is held back until the hash is known, so a body that does not match its ``Digest``
aborts the upload before the data server can commit it, and no file is left under the claimed
hash (D6).
"""
import hashlib
import re
from typing import Iterable, Iterator

from flask import Response, request

from chapter01_single.errors import BadRequest, ObjectNotFound
from chapter01_single.names import NamePolicy
from chapter01_single.objects import request_body
from chapter01_single.store import CHUNK
from chapter02_distributed.api_server import objects as chapter2
from chapter02_distributed.common import objectstream
from chapter03_metadata.common import digest
from chapter03_metadata.common.es import Metadata, Version


MAX_VERSION = 2**31 - 1      # version is an Elasticsearch integer


class MetadataNames(NamePolicy):
    """From chapter 3 on a name is only metadata, never a file name: ``/`` is allowed."""
    max_bytes = 1024
    allow_slash = True


class ObjectsView(chapter2.ObjectsView):
    """Versioned objects: metadata in Elasticsearch, content under its hash."""
    names = MetadataNames()
    body_chunk = CHUNK              # bytes per chunk of a PUT's body (chapter 5: an encoding batch)

    def __init__(self, servers, locator, metadata: Metadata):
        super().__init__(servers, locator)
        self.metadata = metadata

    def put(self, name: str):
        """Store the body under its verified hash, then add a version."""
        claimed = digest.from_header(request.headers.get("Digest"))
        size = self.store_object(claimed, request_body(self.body_chunk))
        record = self.metadata.add_version(name, claimed, size)
        return Response(status=200, headers={"X-Version": str(record.version)})

    def get(self, name: str):
        """Stream the requested (default: newest) version."""
        record = self.find_version(name)
        response = self.send_object(record)
        response.headers["Digest"] = f"{digest.DIGEST_PREFIX}{record.hash}"
        return response

    def delete(self, name: str):
        """Add a tombstone version."""
        self.metadata.delete(name)
        return Response(status=200)

    def store_object(self, claimed: str, chunks: Iterable[bytes]) -> int:
        """Stream ``chunks`` to one data server under ``key(claimed)``; returns the size."""
        server = self.choose_servers(1)[0]
        body = VerifiedBody(chunks, claimed)
        objectstream.put_stream(server, digest.key(claimed), body, request.content_length)
        return body.size

    def send_object(self, record: Version) -> Response:
        """The stored content of ``record``."""
        server = self.locator.locate(digest.key(record.hash))
        if not server:
            raise ObjectNotFound(f"the content of {record.name!r} version {record.version} is not found")
        return chapter2.stream_response(objectstream.get_stream(server, digest.key(record.hash)))

    def find_version(self, name: str) -> Version:
        """The version the query string asks for; tombstones and unknown versions are 404."""
        number = version_argument()
        record = self.metadata.latest(name) if number == 0 else self.metadata.get(name, number)
        if record is None or record.deleted:
            raise ObjectNotFound(f"object {name!r} not found" + (f" in version {number}" if number else ""))
        return record


class VerifiedBody:
    """Chunks that are hashed as they pass; the last one is released only if the hash matches."""

    def __init__(self, chunks: Iterable[bytes], claimed: str):
        self.chunks, self.claimed = chunks, claimed
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        sha, held = hashlib.sha256(), None
        for chunk in self.chunks:
            sha.update(chunk)
            self.size += len(chunk)
            if held is not None:
                yield held
            held = chunk
        if digest.encode(sha.digest()) != self.claimed:
            raise digest.DigestMismatch(f"the body's SHA-256 is {digest.encode(sha.digest())}, "
                                        f"not {self.claimed}")
        if held is not None:
            yield held


def version_argument() -> int:
    """``?version=N``: absent or 0 means the newest; anything but a whole number is a 400."""
    text = request.args.get("version", "0")
    if not re.fullmatch(r"[0-9]{1,30}", text):
        raise BadRequest(f"version must be a whole number, not {text[:40]!r}")
    return min(int(text), MAX_VERSION + 1)       # past any version there is: a plain 404
