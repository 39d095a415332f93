"""One record of a container file: what it is, how it is written, how it is read back and checked.

A record describes itself, so the index can be rebuilt from the containers alone and a torn or
damaged record is found (QingStor's small-file containers; the layout is ours):

    | magic "OSC1" | kind | seq | time | key length | data length | header CRC | key | data | data CRC |
      4              1      8     8      1            4             4            k     d      4 bytes

``kind`` is DATA (a replica of a small object, its key the object's key) or MARK (a delete mark,
no data). ``seq`` grows with
every record a data server writes: of several records of one key, the highest wins. ``time`` is
the write's wall-clock time (the orphan collector's grace rule). Both CRCs are CRC-32: the header's
covers everything before it (so a damaged length is never trusted), the data's covers the key and
the data.
"""
import struct
from dataclasses import dataclass

from isal.isal_zlib import crc32

MAGIC = b"OSC1"
DATA, MARK = 1, 2
HEAD = struct.Struct(">4sBQdBI")          # magic, kind, seq, time, key length, data length
HEAD_CRC = struct.Struct(">I")
HEADER = HEAD.size + HEAD_CRC.size        # 30 bytes before the key
TRAILER = 4                               # the data CRC after the data
MAX_DATA = 1 << 30


class BadRecord(ValueError):
    """Bytes that are not a whole, intact record."""


@dataclass(frozen=True)
class Record:
    """A record as read from a container (``offset`` and ``length``: where, and its whole size)."""
    kind: int
    seq: int
    time: float
    key: str
    data: bytes
    offset: int = 0
    length: int = 0


def size_of(key_length: int, data_length: int) -> int:
    """The bytes a record of that key and data takes."""
    return HEADER + key_length + data_length + TRAILER


def encode(kind: int, seq: int, time: float, key: str, data: bytes = b"") -> bytes:
    """A record's bytes."""
    raw_key = key.encode()
    head = HEAD.pack(MAGIC, kind, seq, time, len(raw_key), len(data))
    body = raw_key + data
    return b"".join((head, HEAD_CRC.pack(crc32(head)), body, HEAD_CRC.pack(crc32(body))))


def mark(seq: int, time: float, key: str) -> bytes:
    """A delete mark for ``key``: it hides every record of ``key`` with a lower ``seq``."""
    return encode(MARK, seq, time, key)


def parse_header(raw: bytes) -> tuple[int, int, float, int, int]:
    """(kind, seq, time, key length, data length) of a record's first ``HEADER`` bytes."""
    if len(raw) < HEADER:
        raise BadRecord("short header")
    fields = HEAD.unpack_from(raw)
    if fields[0] != MAGIC or HEAD_CRC.unpack_from(raw, HEAD.size)[0] != crc32(raw[:HEAD.size]):
        raise BadRecord("not a record header")
    _, kind, seq, time, key_length, data_length = fields
    if kind not in (DATA, MARK) or data_length > MAX_DATA:
        raise BadRecord("impossible header")
    return kind, seq, time, key_length, data_length


def decode(raw: bytes, offset: int = 0) -> Record:
    """The record whose bytes are exactly ``raw`` (as read at ``offset``), checked whole."""
    kind, seq, time, key_length, data_length = parse_header(raw)
    if len(raw) != size_of(key_length, data_length):
        raise BadRecord("wrong length")
    body = raw[HEADER:HEADER + key_length + data_length]
    if HEAD_CRC.unpack_from(raw, len(raw) - TRAILER)[0] != crc32(body):
        raise BadRecord("data does not match its checksum")
    try:
        key = body[:key_length].decode()
    except UnicodeDecodeError:
        raise BadRecord("key is not text") from None
    return Record(kind, seq, time, key, body[key_length:], offset, len(raw))
