"""``Accept-Encoding`` per RFC 9110 §12.5.3, for gzip only (book §4.7, fixed per D17).

The book took gzip only when a header value was exactly ``gzip``; ``curl --compressed`` sends
``gzip, deflate`` (or more) and got plain bytes. Here the list is parsed with its q-values:
``gzip`` (or ``x-gzip``) with q > 0, or ``*`` with q > 0 when gzip is not listed. ``gzip_stream``
compresses a download on the fly (ISA-L, fast level); ``shrinks`` tells whether bytes are worth
compressing (used by the api before packing and by the data servers before compressing a shard).
"""
from typing import Iterable, Iterator

from isal import isal_zlib

DOWNLOAD_LEVEL = 1
PROBE = 1 << 20         # bytes tried first
WORTH = 0.9             # compress only if the probe shrinks to at most this fraction


def accepts_gzip(header: str | None) -> bool:
    """Whether a client sending ``Accept-Encoding: header`` takes a gzip body."""
    weights = {}
    for item in (header or "").split(","):
        coding, _, params = item.strip().partition(";")
        weights[coding.strip().lower()] = _quality(params)
    for coding in ("gzip", "x-gzip"):
        if coding in weights:
            return weights[coding] > 0
    return weights.get("*", 0) > 0


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


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


def shrinks(sample: bytes, level: int = 1) -> bool:
    """Whether ``sample`` gzips (ISA-L, ``level``) to at most ``WORTH`` of its size."""
    return bool(sample) and len(isal_zlib.compress(sample, level)) <= WORTH * len(sample)
