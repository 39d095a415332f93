"""Objects gzipped before they are erasure-coded ("packed"; chapter 7, beyond the book).

Compressing shards at rest cannot shrink the two parity shards: each parity byte mixes four data
bytes, which destroys the repetition gzip finds, so text kept about 45 % of chapter 6's disk bytes.
So the api gzips a whole-object PUT *before* encoding it when its first MiB compresses: the six
shards then hold the gzip stream, and all six are small; the data servers hash, check and store
far fewer bytes. The object's size and SHA-256 stay those of the plain bytes.

The stored form is told by the length of the shards: a plain object's shards hold exactly
``shard_size(size)`` bytes. A packed stream is one gzip member whose deflate data ends with a
sync flush and a few empty stored blocks (5 bytes each), as many as make the stream a multiple of
four bytes (exactly four shards, no padding) and its shards never of the plain length:

    packed stream: | header | deflate ... sync flush | k empty stored blocks | last one | CRC, size |
                   |<------------------------ 4 x shard length ------------------------------------>|
"""
import itertools
import struct
from collections import Counter
from typing import Iterable, Iterator

from isal import isal_zlib

from chapter01_single.errors import StorageError
from chapter02_distributed.common.objectstream import DataServerError, HopPool, request, url
from chapter05_erasure.common import rs
from chapter04_dedup.common.temp import TempUpload
from chapter05_erasure.common.shards import RSPutStream, ShardWriter
from chapter07_gzip.common.encoding import PROBE, shrinks
from chapter07_gzip.common.forms import packed_name

LEVEL = 1               # ISA-L's fast level: about 1.5 GB/s on text with zlib level 6's ratio
OUT = 1 << 20           # most bytes one decompress call may return (a gzip bomb stays bounded)
STORED_EMPTY = b"\x00\x00\x00\xff\xff"    # deflate: a non-final stored block of 0 bytes
STORED_LAST = b"\x01\x00\x00\xff\xff"     # the same, final

_heads = HopPool(max_workers=6, thread_name_prefix="packed-head")


class PackedCorrupt(StorageError):
    """A packed object does not unpack to its size: its shards decode to damaged gzip."""
    status, code = 502, "BadGateway"


def room(size: int) -> int:
    """The most bytes the packed stream of a ``size``-byte object may take (deflate's worst case)."""
    return size + size // 1000 + 4096


def ending(length: int, crc: int, size: int, plain_shard: int) -> bytes:
    """The end of a packed stream whose first ``length`` bytes end in a sync flush (byte-aligned):
    empty stored blocks, then the gzip trailer (CRC-32 and size mod 2**32 of the object)."""
    blocks = (-(length + 13)) % 4     # 13 bytes: the last block 5, the trailer 8; each block adds 5
    while rs.shard_size(length + 5 * blocks + 13) == plain_shard:
        blocks += 4                   # 20 bytes more: the shards grow by 5
    return STORED_EMPTY * blocks + STORED_LAST + struct.pack("<II", crc, size % 2**32)


class RoomyTemp(TempUpload):
    """A shard temp given room for deflate's worst case: sent chunked, its real size told at commit."""
    used: int | None = None

    def body(self, chunks: Iterable[bytes]) -> Iterable[bytes]:
        return chunks

    def commit_headers(self) -> dict:
        return {"size": str(self.used)}


class RoomyWriter(ShardWriter):
    temp_class = RoomyTemp


class RoomyPutStream(RSPutStream):
    """Chapter 5's shard stream for a packed stream of at most ``size`` bytes, ``used`` in the end."""
    writer_class = RoomyWriter
    used = 0                    # the packed stream's length, set before ``commit``

    def commit_temp(self, temp: RoomyTemp) -> None:
        temp.used = rs.shard_size(self.used)
        temp.commit()


class PackedPutStream:
    """Chapter 5's shard stream, fed the gzipped object when its first MiB compresses."""

    def __init__(self, servers: list[str], key: str, size: int):
        self.servers, self.key, self.size = servers, key, size
        self.stream: RSPutStream | None = None
        self.packed: int | None = None      # the packed stream's length, once written

    def write(self, chunks: Iterable[bytes]) -> None:
        chunks = iter(chunks)
        first = next(chunks, b"")
        body = itertools.chain([first], chunks)
        if shrinks(first[:PROBE]):
            self.stream = RoomyPutStream(self.servers, packed_name(self.key), room(self.size))
            self.stream.write(self._pack(body))
            self.stream.used = self.packed
        else:
            self.stream = RSPutStream(self.servers, self.key, self.size)
            self.stream.write(body)

    def commit(self) -> None:
        self.stream.commit()

    def _pack(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        packer, length, crc = isal_zlib.compressobj(LEVEL, isal_zlib.DEFLATED, 31), 0, 0
        for chunk in chunks:
            crc = isal_zlib.crc32(chunk, crc)
            if packed := packer.compress(chunk):
                length += len(packed)
                yield packed
        tail = packer.flush(isal_zlib.Z_SYNC_FLUSH)     # not Z_FINISH: the ending is ours
        tail += ending(length + len(tail), crc, self.size, rs.shard_size(self.size))
        self.packed = length + len(tail)
        yield tail

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.stream is not None:
            self.stream.__exit__(*exc_info)


def packed_length(locations: dict[int, str], key: str, size: int) -> int | None:
    """The packed stream's length when the object is stored packed; None when it is plain (or no
    shard answers: the plain path then reports the failure).

    Every located shard is asked (``HEAD``) and the most common length wins: a damaged shard may
    have any length, but an object that can be read at all has four intact shards.
    """
    lengths = [n for n in _heads.map(lambda item: _shard_length(key, *item), locations.items()) if n is not None]
    if not lengths:
        return None
    length = Counter(lengths).most_common(1)[0][0]
    return None if length == rs.shard_size(size) else 4 * length


def _shard_length(key: str, index: int, server: str) -> int | None:
    try:
        response = request("HEAD", url(server, "objects", f"{key}.{index}"))
    except DataServerError:
        return None
    response.close()
    length = response.headers.get("Content-Length", "")
    return int(length) if response.status_code == 200 and length.isdigit() else None


def unpack(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """The object's bytes from its packed stream, which is read to its end (so repairs commit)."""
    unpacker, done = isal_zlib.decompressobj(31), 0
    try:
        for chunk in chunks:
            while not unpacker.eof and done <= size:
                data = unpacker.decompress(chunk, OUT)
                chunk = unpacker.unconsumed_tail
                done += len(data)
                if data and done <= size:
                    yield data
                if not chunk and len(data) < OUT:      # all input taken and no output held back
                    break
    except isal_zlib.error as error:
        raise PackedCorrupt(f"the packed object does not unpack: {error}") from None
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    if done != size or not unpacker.eof:
        raise PackedCorrupt(f"the packed object unpacks to {done} bytes, not {size}")
