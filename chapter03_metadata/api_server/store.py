"""The object pipeline with versions (book §4.3 ``objects/{put,get,del}.go``).

Overrides nothing of chapter 2's ``Objects``; adds what versions need. ``store`` puts the content on
a data server under its hash, ``key(H)``, hashing it as it streams: the last chunk is held back
until the hash is known, so a body that does not match its claimed digest aborts the upload before
the data server can commit it and no file is left under the claimed hash (D6); then a version is
added. ``find`` picks a version, ``open`` reads its content (checked against its hash before the
last byte goes out), ``delete`` adds a tombstone.
"""
import hashlib
import logging
from typing import Iterable, Iterator

from chapter01_single.errors import ObjectNotFound, StorageError
from chapter02_distributed.api_server import store as chapter2
from chapter02_distributed.api_server.store import Body
from chapter03_metadata.common import digest
from chapter03_metadata.common.es import Metadata, Version

log = logging.getLogger(__name__)


class Objects(chapter2.Objects):
    """Versioned objects: metadata in Elasticsearch, content under its hash."""

    def __init__(self, servers, locator, metadata: Metadata):
        super().__init__(servers, locator)
        self.metadata = metadata

    def store(self, name: str, claimed: str, chunks: Iterable[bytes], size: int | None) -> Version:
        """Store the content (which must hash to ``claimed``), then add it as ``name``'s newest version."""
        return self.metadata.add_version(name, claimed, **self.store_content(claimed, chunks, size))

    def store_content(self, claimed: str, chunks: Iterable[bytes], size: int | None) -> dict:
        """Stream ``chunks`` to one data server under ``key(claimed)``; returns what the version
        records of the content besides its hash (chapter 3: its ``size``)."""
        body = VerifiedBody(chunks, claimed)
        self.put(digest.key(claimed), body, size)
        return {"size": body.size}

    def find(self, name: str, version: int = 0) -> Version:
        """Version ``version`` of ``name`` (0: the newest); tombstones and unknown versions are 404."""
        record = self.metadata.latest(name) if version == 0 else self.metadata.get(name, version)
        if record is None or record.deleted:
            raise ObjectNotFound(f"object {name!r} not found" + (f" in version {version}" if version else ""))
        return record

    def open(self, record: Version) -> Body:
        """The stored content of ``record``, checked against its hash as it is read."""
        try:
            body = self.get(digest.key(record.hash))
        except ObjectNotFound:
            raise ObjectNotFound(f"the content of {record.name!r} version {record.version} is not found") from None
        return Body(checked(body.chunks, record.hash), body.length)

    def delete(self, name: str) -> Version:
        """Add a tombstone version."""
        return self.metadata.delete(name)


class ContentMismatch(StorageError):
    """The bytes read do not hash to the object's hash: the answer is cut before its last byte."""
    status, code = 502, "BadGateway"


def checked(chunks: Iterable[bytes], hash: str) -> Iterator[bytes]:
    """``chunks`` hashed as they pass; the last one goes out only when they hash to ``hash``, else
    ``ContentMismatch`` cuts the answer short: never a whole answer with wrong bytes (issue 18: a
    spoofed data server could serve its own bytes under the object's Digest)."""
    sha, held = hashlib.sha256(), None
    try:
        for chunk in chunks:
            sha.update(chunk)
            if held is not None:
                yield held
            held = chunk
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    if digest.encode(sha.digest()) != hash:
        log.error("the content read for %s hashes to %s: answer cut", hash, digest.encode(sha.digest()))
        raise ContentMismatch(f"the content read does not hash to {hash}")
    if held is not None:
        yield held


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
