"""The object pipeline with packed objects and gzip downloads (book §4.7 ``objects/get.go``).

A new object whose first MiB compresses is stored packed (``common/packed.py``: ``put_stream`` is
swapped, and ``form_of`` records the packed length in the version). ``open`` is overridden: a
packed object goes to a client that accepts gzip as it is stored (``Content-Encoding: gzip``, exact
length), to others unpacked, and a span of it is cut from the unpacked bytes; a plain object is
chapter 6's, gzipped on the fly (no length) for a client that accepts gzip. A span is always
identity bytes (the book sent a gzip body under a 206 labelled as identity, D17).
"""
from chapter02_distributed.api_server.store import Body
from chapter03_metadata.common import digest
from chapter06_resumable.api_server import store as chapter6
from chapter06_resumable.common import ranges
from chapter07_gzip.common.encoding import gzip_stream
from chapter07_gzip.common.es import PackedVersion
from chapter07_gzip.common.packed import PackedPutStream, packed_length, unpack

GZIP = {"Content-Encoding": "gzip"}


class Objects(chapter6.Objects):
    """Chapter 6's objects, packed when they compress, compressed on the way out when wanted."""
    put_stream = PackedPutStream

    def form_of(self, stream=None) -> dict:
        return {"packed": getattr(stream, "packed", None) or 0}

    def open(self, record: PackedVersion, span: tuple[int, int] | None = None, gzip_ok: bool = False) -> Body:
        key = digest.key(record.hash)
        locations = self.locator.locate(key)
        packed = self.packed_length(record, key, locations)
        if packed:
            return self.read_packed(record, key, locations, packed, span, gzip_ok)
        if span is not None:
            return self.read_span(key, locations, record.size, span)
        body = self.read(key, locations, record.size)
        return Body(gzip_stream(body.chunks), None, GZIP, body.source) if gzip_ok else body

    @staticmethod
    def packed_length(record: PackedVersion, key: str, locations: dict[int, str]) -> int | None:
        """The packed stream's length, None for a plain object: the version says, or (for versions
        that do not know) the shards' lengths tell."""
        known = getattr(record, "packed", None)
        if known is None:
            return packed_length(locations, key, record.size)
        return known or None

    def read_packed(self, record, key, locations, packed: int, span, gzip_ok: bool) -> Body:
        """The packed stream itself (gzip), the unpacked object, or a span of it."""
        stream = self.get_stream(locations, key, packed, self.repair_target(locations))
        if span is None and gzip_ok:
            return Body(stream, packed, GZIP, stream)
        plain = unpack(stream, record.size)
        if span is None:
            return Body(plain, record.size, source=stream)
        first, last = span
        return Body(ranges.cut(plain, first, last - first + 1), last - first + 1, source=stream)
