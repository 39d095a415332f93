"""``/objects/<name>``: downloads gzipped for clients that accept it (book §4.7).

Go: ``chapter7/apiServer/objects/get.go``. Overrides chapter 6's ``open`` (the pipeline is told
whether the client accepts gzip, RFC 9110 q-values included) and ``send`` (``Vary:
Accept-Encoding``, since the answer depends on that header).
"""
from flask import Response, request

from chapter02_distributed.api_server.store import Body
from chapter03_metadata.common.es import Version
from chapter06_resumable.api_server import objects as chapter6
from chapter07_gzip.common.encoding import accepts_gzip


class ObjectsView(chapter6.ObjectsView):
    """Chapter 6's view; the answer's encoding follows the client's ``Accept-Encoding``."""

    def send(self, record: Version) -> Response:
        response = super().send(record)
        response.vary.add("Accept-Encoding")
        return response

    def open(self, record: Version, span: tuple[int, int] | None) -> Body:
        return self.objects.open(record, span, gzip_ok=accepts_gzip(request.headers.get("Accept-Encoding")))
