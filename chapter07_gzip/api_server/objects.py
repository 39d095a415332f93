"""``/objects/<name>``: objects packed (gzipped) before encoding, gzip on download (book §4.7).

Go: ``chapter7/apiServer/objects/get.go``. A whole-object PUT whose first MiB compresses is
stored packed (``common/packed.py``; ``put_stream`` is swapped, chapter 5's ``store_object`` is
unchanged). ``send_object`` is overridden: a packed object goes to a client that accepts gzip as
it is stored (``Content-Encoding: gzip``, exact Content-Length), to others unpacked, and a range
of it is cut from the unpacked bytes; a plain object is chapter 6's, gzipped on the fly (ISA-L,
fast level, no Content-Length) when the client accepts gzip. A ranged answer is always identity
bytes (the book sent a gzip body under a 206 labelled as identity, D17); ``Vary: Accept-Encoding``.
"""
from typing import Iterable, Iterator

from flask import Response, request
from isal import isal_zlib

from chapter03_metadata.common import digest
from chapter03_metadata.common.es import Version
from chapter05_erasure.common.shards import RSGetStream
from chapter06_resumable.api_server import objects as chapter6
from chapter06_resumable.common import ranges
from chapter07_gzip.common.encoding import accepts_gzip
from chapter07_gzip.common.packed import PackedPutStream, packed_length, unpack

DOWNLOAD_LEVEL = 1


class ObjectsView(chapter6.ObjectsView):
    """Chapter 6's objects, packed when they compress, compressed on the way out when wanted."""
    put_stream = PackedPutStream

    def send_object(self, record: Version) -> Response:
        key = digest.key(record.hash)
        locations = self.locator.locate(key)
        packed = packed_length(locations, key, record.size)
        if packed is None:
            response = self.send_plain(record)
        else:
            response = self.send_packed(record, locations, packed)
        response.vary.add("Accept-Encoding")
        response.headers["Accept-Ranges"] = "bytes"
        return response

    def send_plain(self, record: Version) -> Response:
        """Chapter 6's answer, gzipped on the fly for a client that accepts it."""
        response = super().send_object(record)
        if response.status_code == 200 and accepts_gzip(request.headers.get("Accept-Encoding")):
            response.response = gzip_stream(response.response)
            response.headers.pop("Content-Length", None)
            response.headers["Content-Encoding"] = "gzip"
        return response

    def send_packed(self, record: Version, locations: dict[int, str], packed: int) -> Response:
        """The packed stream itself (gzip), the unpacked object, or a range of it."""
        span = ranges.parse(request.headers.get("Range"), record.size)
        key = digest.key(record.hash)
        stream = RSGetStream(locations, key, packed, self.repair_target(locations))
        if span is None and accepts_gzip(request.headers.get("Accept-Encoding")):
            response = _streaming(stream, 200, stream.size)
            response.headers["Content-Encoding"] = "gzip"
            return response
        if span is None:
            return _streaming(unpack(stream, record.size), 200, record.size)
        first, last = span
        response = _streaming(ranges.cut(unpack(stream, record.size), first, last - first + 1), 206,
                              last - first + 1)
        response.headers["Content-Range"] = ranges.content_range(first, last, record.size)
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


def _streaming(body, status: int, length: int) -> Response:
    response = Response(body, status=status, mimetype="application/octet-stream", direct_passthrough=True)
    response.content_length = length
    return response
