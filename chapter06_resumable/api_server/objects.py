"""``/objects/<name>``: POST opens a resumable upload, GET honours Range (book §4.6).

Go: ``chapter6/apiServer/objects/{post,get}.go``. Adds ``post`` and overrides chapter 3's ``send``:
a ranged GET answers 206 with exact ``Content-Range`` and ``Content-Length`` (the pipeline reads
only the blocks it needs); every GET says ``Accept-Ranges: bytes``.
"""
import re

from flask import Response, request

from chapter01_single.errors import BadRequest
from chapter02_distributed.api_server.objects import body_response
from chapter02_distributed.api_server.store import Body
from chapter03_metadata.api_server import objects as chapter3
from chapter03_metadata.common import digest
from chapter03_metadata.common.es import Version
from chapter05_erasure.common import rs
from chapter06_resumable.api_server.store import Objects
from chapter06_resumable.api_server.uploads import Uploads
from chapter06_resumable.common import ranges


class ObjectsView(chapter3.ObjectsView):
    """Chapter 3's view of chapter 6's objects: resumable uploads and ranged reads."""
    objects: Objects

    def __init__(self, objects: Objects, uploads: Uploads):
        super().__init__(objects)
        self.uploads = uploads

    def post(self, name: str):
        """Open a resumable upload: ``201`` with ``Location: /temp/<token>``."""
        size = size_header()
        claimed = digest.from_headers(request.headers)
        token = self.uploads.open(name, size, claimed, self.objects.choose_servers(rs.ALL_SHARDS))
        return Response(status=201, headers={"Location": f"/temp/{token}"})

    def send(self, record: Version) -> Response:
        span = ranges.parse(request.headers.get("Range"), record.size)
        response = body_response(self.open(record, span), 200 if span is None else 206)
        if span is not None:
            response.headers["Content-Range"] = ranges.content_range(*span, record.size)
        response.headers["Accept-Ranges"] = "bytes"
        return response

    def open(self, record: Version, span: tuple[int, int] | None) -> Body:
        """What the pipeline reads for this request (chapter 7 adds the client's encodings)."""
        return self.objects.open(record, span)


def size_header() -> int:
    """The ``Size`` header of a POST: a whole number of bytes (the book answered 403 here)."""
    text = request.headers.get("Size", "")
    if not re.fullmatch(r"[0-9]{1,15}", text):
        raise BadRequest("a Size: <bytes> header is required")
    return int(text)
