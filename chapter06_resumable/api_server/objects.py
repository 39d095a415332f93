"""``/objects/<name>``: POST opens a resumable upload, GET honours Range (book §4.6).

Go: ``chapter6/apiServer/objects/{post,get}.go``. Adds ``post`` and overrides chapter 5's
``send_object``: a ranged GET asks every shard server to start at the block that holds the first
byte wanted (D13: nothing before it is read or decoded) and answers 206 with exact
``Content-Range`` and ``Content-Length``; every GET says ``Accept-Ranges: bytes``.
"""
import re

from flask import Response, request

from chapter01_single.errors import BadRequest
from chapter03_metadata.common import digest
from chapter03_metadata.common.es import Version
from chapter05_erasure.api_server import objects as chapter5
from chapter05_erasure.common import rs
from chapter05_erasure.common.shards import RSGetStream
from chapter06_resumable.api_server.uploads import Uploads
from chapter06_resumable.common import ranges


class RangedGetStream(RSGetStream):
    """Chapter 5's stream from the block holding ``first`` up to byte ``last``, without repairs."""

    def __init__(self, locations, key: str, size: int, first: int, last: int):
        self.base = first // rs.BLOCK_SIZE * rs.BLOCK_SIZE
        self.first, self.last = first, last
        super().__init__(locations, key, size)

    def shard_headers(self) -> dict:
        return {"Range": f"bytes={self.base // rs.BLOCK_SIZE * rs.BLOCK_PER_SHARD}-"}

    def __iter__(self):
        return ranges.cut(super().__iter__(), self.first - self.base, self.last - self.first + 1)


class ObjectsView(chapter5.ObjectsView):
    """Chapter 5's objects, plus resumable uploads and ranged reads."""

    def __init__(self, servers, locator, metadata, uploads: Uploads):
        super().__init__(servers, locator, metadata)
        self.uploads = uploads

    def post(self, name: str):
        """Open a resumable upload: ``201`` with ``Location: /temp/<token>``."""
        size = size_header()
        claimed = digest.from_header(request.headers.get("Digest"))
        token = self.uploads.open(name, size, claimed, self.choose_servers(rs.ALL_SHARDS))
        return Response(status=201, headers={"Location": f"/temp/{token}"})

    def send_object(self, record: Version) -> Response:
        span = ranges.parse(request.headers.get("Range"), record.size)
        if span is None:
            response = super().send_object(record)
        else:
            response = self.send_range(record, *span)
        response.headers["Accept-Ranges"] = "bytes"
        return response

    def send_range(self, record: Version, first: int, last: int) -> Response:
        key = digest.key(record.hash)
        stream = RangedGetStream(self.locator.locate(key), key, record.size, first, last)
        response = Response(stream, status=206, mimetype="application/octet-stream", direct_passthrough=True)
        response.content_length = last - first + 1
        response.headers["Content-Range"] = ranges.content_range(first, last, record.size)
        return response


def size_header() -> int:
    """The ``Size`` header of a POST: a whole number of bytes (the book answered 403 here)."""
    text = request.headers.get("Size", "")
    if not re.fullmatch(r"[0-9]{1,15}", text):
        raise BadRequest("a Size: <bytes> header is required")
    return int(text)
