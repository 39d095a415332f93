"""Unit tests of chapter 7's packed form (gzip before erasure coding), no servers."""
import gzip
import os
import random
import zlib

import pytest

from chapter05_erasure.common import rs
from chapter07_gzip.common.encoding import shrinks
from chapter07_gzip.common.packed import PackedCorrupt, PackedPutStream, ending, room, unpack


def log_text(size: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    lines = (f"2026-12-02T10:{rng.randrange(60):02d}:{rng.randrange(60):02d} GET /objects/{rng.randrange(999)} "
             f"200 {rng.randrange(99999)}\n" for _ in iter(int, 1))
    text = bytearray()
    while len(text) < size:
        text += next(lines).encode()
    return bytes(text[:size])


def packed(data: bytes, piece: int = 1 << 20) -> bytes:
    stream = PackedPutStream([], "k", len(data))
    out = b"".join(stream._pack(data[at:at + piece] for at in range(0, len(data), piece)))
    assert stream.packed == len(out)
    return out


@pytest.mark.parametrize("size", [1, 100, 31999, 32000, 32001, 1 << 20, 3 * (1 << 20) + 7])
def test_a_packed_stream_is_whole_shards_never_of_the_plain_length_and_gunzips_to_the_object(size):
    data = log_text(size, seed=size)
    out = packed(data)
    assert len(out) % 4 == 0 and rs.shard_size(len(out)) * 4 == len(out)
    assert rs.shard_size(len(out)) != rs.shard_size(size)
    assert gzip.decompress(out) == data
    assert b"".join(unpack(iter([out[:5000], out[5000:]]), size)) == data
    assert len(out) <= room(size)


def test_the_ending_steps_past_a_shard_length_equal_to_the_plain_one():
    for length in range(40, 48):
        plain = rs.shard_size(length + 13 + 5 * ((-(length + 13)) % 4))     # make the first choice collide
        total = length + len(ending(length, 0, 0, plain))
        assert total % 4 == 0 and rs.shard_size(total) != plain


def test_one_gzip_member_whatever_reads_it():
    data = log_text(100000)
    out = packed(data)
    unpacker = zlib.decompressobj(31)                # what curl and browsers do: one member, then stop
    assert unpacker.decompress(out) == data and unpacker.eof and unpacker.unused_data == b""


def test_random_data_does_not_shrink_and_text_does():
    assert not shrinks(os.urandom(1 << 20))
    assert shrinks(log_text(1 << 20))
    assert not shrinks(b"")


def test_a_damaged_or_wrongly_sized_packed_stream_is_refused():
    data = log_text(200000)
    out = bytearray(packed(data))
    with pytest.raises(PackedCorrupt):
        list(unpack(iter([bytes(out)]), len(data) + 1))
    out[len(out) // 2] ^= 0xFF
    with pytest.raises(PackedCorrupt):
        list(unpack(iter([bytes(out)]), len(data)))


def test_unpacking_a_gzip_bomb_never_returns_more_than_a_mebibyte_at_once():
    zeros = packed(bytes(64 << 20))
    sizes = [len(part) for part in unpack(iter([zeros]), 64 << 20)]
    assert sum(sizes) == 64 << 20 and max(sizes) <= 1 << 20
