"""Unit test of the chapter-5 shard summary (SHA-256 and 8000-byte block CRCs), no servers."""
import hashlib
import io
import random
import zlib

import pytest

from chapter03_metadata.common import digest
from chapter05_erasure.data_server.objects import ShardSummary, summarize


@pytest.mark.parametrize("size", [0, 1, 7999, 8000, 8001, 32000, 1 << 20, 3 * (1 << 20) + 123])
def test_pieces_of_any_size_give_the_hash_and_the_crc_of_each_block(size):
    rng = random.Random(size)
    data = rng.randbytes(size)
    summary, at = ShardSummary(), 0
    while at < size:
        step = rng.choice([1, 100, 7999, 8000, 8001, 65536, 1 << 20])
        summary.update(data[at:at + step])
        at += step
    expected = [zlib.crc32(data[block:block + 8000]) for block in range(0, size, 8000)]
    assert summary.result() == (digest.key(digest.encode(hashlib.sha256(data).digest())), expected)
    assert summarize(io.BytesIO(data)) == summary.result()


def test_result_can_be_taken_while_more_is_coming():
    summary = ShardSummary()
    summary.update(b"a" * 8500)
    assert summary.result()[1] == [zlib.crc32(b"a" * 8000), zlib.crc32(b"a" * 500)]
    summary.update(b"b" * 7500)
    assert summary.result()[1] == [zlib.crc32(b"a" * 8000), zlib.crc32(b"a" * 500 + b"b" * 7500)]
