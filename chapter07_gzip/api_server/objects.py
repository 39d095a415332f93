"""``GET /objects/<name>`` gzip-compressed for clients that accept it (book §4.7).

Go: ``chapter7/apiServer/objects/get.go``. Overrides chapter 6's ``send_object``: a whole-object
200 is gzipped on the fly (ISA-L, fast level) when ``Accept-Encoding`` allows gzip, with
``Content-Encoding: gzip`` and no Content-Length; a ranged answer is always identity bytes (the
book sent a gzip body under a 206 labelled as identity, D17). ``Vary: Accept-Encoding`` on both.
"""
from typing import Iterable, Iterator

from flask import Response, request
from isal import isal_zlib

from chapter03_metadata.common.es import Version
from chapter06_resumable.api_server import objects as chapter6
from chapter07_gzip.common.encoding import accepts_gzip

DOWNLOAD_LEVEL = 1


class ObjectsView(chapter6.ObjectsView):
    """Chapter 6's objects, compressed on the way out when the client wants it."""

    def send_object(self, record: Version) -> Response:
        response = super().send_object(record)
        response.vary.add("Accept-Encoding")
        if response.status_code == 200 and accepts_gzip(request.headers.get("Accept-Encoding")):
            response.response = gzip_stream(response.response)
            response.headers.pop("Content-Length", None)
            response.headers["Content-Encoding"] = "gzip"
        return response


def gzip_stream(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """``chunks`` as one gzip member, compressed as they pass."""
    packer = isal_zlib.compressobj(DOWNLOAD_LEVEL, isal_zlib.DEFLATED, 31)
    try:
        for chunk in chunks:
            if packed := packer.compress(chunk):
                yield packed
        yield packer.flush()
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
