"""``/objects/<name>`` with versions (book §4.3).

Go: ``chapter3/apiServer/objects/{put,get,del}.go``. Overrides chapter 2's ``put`` (a ``Digest`` is
required; the pipeline, ``store.Objects``, stores the content under its hash and adds a version)
and ``get`` (``?version=N``), and adds ``delete`` (a tombstone version).
"""
import re

from flask import Response, request

from chapter01_single.errors import BadRequest
from chapter01_single.names import NamePolicy
from chapter01_single.objects import request_body
from chapter02_distributed.api_server import objects as chapter2
from chapter03_metadata.api_server.store import Objects
from chapter03_metadata.common import digest
from chapter03_metadata.common.es import Version

MAX_VERSION = 2**31 - 1      # version is an Elasticsearch integer


class MetadataNames(NamePolicy):
    """From chapter 3 on a name is only metadata, never a file name: ``/`` is allowed."""
    max_bytes = 1024
    allow_slash = True


class ObjectsView(chapter2.ObjectsView):
    """Versioned objects: metadata in Elasticsearch, content under its hash."""
    names = MetadataNames()
    objects: Objects

    def put(self, name: str):
        """Store the body under its verified hash, then add a version."""
        claimed = digest.from_headers(request.headers)
        body = request_body(self.objects.body_chunk)
        record = self.objects.store(name, claimed, body, request.content_length)
        return Response(status=200, headers={"X-Version": str(record.version)})

    def get(self, name: str):
        """Stream the requested (default: newest) version."""
        record = self.objects.find(name, version_argument())
        response = self.send(record)
        response.headers["Digest"] = f"{digest.DIGEST_PREFIX}{record.hash}"
        return response

    def delete(self, name: str):
        """Add a tombstone version."""
        self.objects.delete(name)
        return Response(status=200)

    def send(self, record: Version) -> Response:
        """The answer that carries ``record``'s content."""
        return chapter2.body_response(self.objects.open(record))


def version_argument() -> int:
    """``?version=N``: absent or 0 means the newest; anything but a whole number is a 400."""
    text = request.args.get("version", "0")
    if not re.fullmatch(r"[0-9]{1,30}", text):
        raise BadRequest(f"version must be a whole number, not {text[:40]!r}")
    return min(int(text), MAX_VERSION + 1)       # past any version there is: a plain 404
