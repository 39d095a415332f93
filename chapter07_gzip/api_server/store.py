"""The object pipeline with packed objects and gzip downloads (book §4.7 ``objects/get.go``).

A new object whose first MiB compresses is stored packed (``common/packed.py``: ``put_stream`` is
swapped, and ``form_of`` records the packed length in the version), its shards named apart from a
plain object's (``common/forms.py``), so both forms of one content never mix. ``open`` is
overridden: a
packed object goes to a client that accepts gzip as it is stored (``Content-Encoding: gzip``, exact
length), to others unpacked, and a span of it is cut from the unpacked bytes; a plain object is
chapter 6's, gzipped on the fly (no length) for a client that accepts gzip. A span is always
identity bytes (the book sent a gzip body under a 206 labelled as identity, D17). Whole reads are
checked against the object's hash before their last byte goes out; a span is not (its blocks are
checked by the data servers' CRCs), nor a packed stream sent as stored (gzip's own CRC-32 lets
the client check it).
"""
from chapter02_distributed.api_server.store import Body
from chapter03_metadata.api_server.store import checked
from chapter03_metadata.common import digest
from chapter06_resumable.api_server import store as chapter6
from chapter05_erasure.common import rs
from chapter06_resumable.common import ranges
from chapter07_gzip.api_server.locate import Located
from chapter07_gzip.common.encoding import gzip_stream
from chapter07_gzip.common.es import PackedVersion
from chapter07_gzip.common.forms import packed_name
from chapter07_gzip.common.packed import PackedPutStream, packed_length, unpack

GZIP = {"Content-Encoding": "gzip"}


class Objects(chapter6.Objects):
    """Chapter 6's objects, packed when they compress, compressed on the way out when wanted."""
    put_stream = PackedPutStream

    def form_of(self, stream=None) -> dict:
        return {"packed": getattr(stream, "packed", None) or 0}

    def has_content(self, hash: str) -> bool:
        located = self.locator.locate(digest.key(hash))
        return max(len(located), len(getattr(located, "packed", ()))) >= rs.DATA_SHARDS

    def open(self, record: PackedVersion, span: tuple[int, int] | None = None, gzip_ok: bool = False) -> Body:
        key = digest.key(record.hash)
        name, locations, packed = self.form(record, key, self.locator.locate(key))
        if packed:
            return self.read_packed(record, name, locations, packed, span, gzip_ok)
        if span is not None:
            return self.read_span(key, locations, record.size, span)
        body = self.read(key, locations, record.size, record.hash)
        return Body(gzip_stream(body.chunks), None, GZIP, body.source) if gzip_ok else body

    @staticmethod
    def form(record: PackedVersion, key: str, located: Located) -> tuple[str, dict, int | None]:
        """(shard name, locations, packed length or None for plain) of the form to read: the one the
        version says, unless only the other is complete (both hold the same bytes). A version that
        does not know (written before chapter 7) may have packed shards under plain names: their
        lengths tell."""
        known, packed = getattr(record, "packed", None), getattr(located, "packed", {})
        if len(packed) >= rs.DATA_SHARDS and (known or len(located) < rs.DATA_SHARDS):
            name = packed_name(key)
            return name, packed, known or packed_length(packed, name, record.size)
        if known is None:
            return key, located, packed_length(located, key, record.size)
        return key, located, None

    def read_packed(self, record, key, locations, packed: int, span, gzip_ok: bool) -> Body:
        """The packed stream itself (gzip), the unpacked object, or a span of it."""
        stream = self.get_stream(locations, key, packed, self.repair_target(locations))
        if span is None and gzip_ok:
            return Body(stream, packed, GZIP, stream)
        plain = unpack(stream, record.size)
        if span is None:
            return Body(checked(plain, record.hash), record.size, source=stream)
        first, last = span
        return Body(ranges.cut(plain, first, last - first + 1), last - first + 1, source=stream)
