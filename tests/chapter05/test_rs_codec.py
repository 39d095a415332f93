"""Unit tests of the chapter-5 Reed-Solomon codec (chapter05_erasure.common.rs), no servers.

The shards must equal the book's Go encoder byte for byte (contract §7.2), the matrix must be
klauspost's default (§7.1), any 4 of the 6 shards must give the object back, and the fast paths
must agree with the plain-Python reference path. Every test runs twice: with ISA-L's matrix
products (``isal_ec``, installed by the scripts) and with the numpy tables used without it.
"""
import base64
import hashlib
import itertools
import random

import pytest

from chapter05_erasure.common import isal_ec, rs

BOOK_OBJECT = b"this object will be separate to 4+2 shards"
BOOK_SHARDS_HEX = [
    "74686973206f626a656374",
    "2077696c6c206265207365",
    "70617261746520746f2034",
    "2b32207368617264730000",
    "3a3f2f03abe4efc7cb939f",
    "4c95de321a0c1e8a452350",
]
BOOK_100000_SHA256 = [
    "4nOX0TiG64MpSIHbNUUdtBAKgw6gmR7QKim/5r6cEd0=",
    "mPaS/O8JkOT1qz/M34T0GVfRPVvGgKIo4hocB18FOYU=",
    "T556gVBSIkKVe7aWKFHiJt7CCQiFW1RFWbbFnGNS8n8=",
    "oaLlei5WgetYr86pOZ+MChmbaHiY93UCCjqKliTHTN0=",
    "HnzGePS8rysDmDS4eci4fEVyhbKww/U0wTI9z6xYBBM=",
    "taTouc1UuazNuYOPVgj6ljkwEsuIKJiuJehQ8xixTxs=",
]
FOUR_OF_SIX = list(itertools.combinations(range(rs.ALL_SHARDS), rs.DATA_SHARDS))
FIVE_OF_SIX = list(itertools.combinations(range(rs.ALL_SHARDS), rs.DATA_SHARDS + 1))
# A multi-block object whose last block gives odd-length pieces (exercises the odd-byte path).
ODD_TAIL_SIZE = 3 * rs.BLOCK_SIZE + 4 * 333 - 2


@pytest.fixture(autouse=True, params=["isal", "numpy"])
def backend(request, monkeypatch):
    """The GF matrix products of this run: ISA-L, or numpy as without the library."""
    if request.param == "isal":
        assert isal_ec.available, "ISA-L (libisal.so.2) is missing: bash scripts/test.sh installs libisal2"
    else:
        monkeypatch.setattr(isal_ec, "available", False)
    return request.param


def random_bytes(size: int, seed: int = 5) -> bytes:
    return random.Random(seed).randbytes(size)


def keep_only(shards: list, kept: tuple) -> list:
    """The shards with every index outside `kept` missing (None)."""
    return [s if i in kept else None for i, s in enumerate(shards)]


def reference_encode(data: bytes) -> list[bytes]:
    """Encode a whole object block by block with the plain-Python path."""
    blocks = [data[i:i + rs.BLOCK_SIZE] for i in range(0, len(data), rs.BLOCK_SIZE)]
    pieces = [rs.encode_block_reference(block) for block in blocks]
    return [b"".join(column) for column in zip(*pieces)] if pieces else [b""] * rs.ALL_SHARDS


def run_on_book_object(operation: str, shards: list):
    """decode or reconstruct the 42-byte book object's shards."""
    return rs.decode(shards, 42) if operation == "decode" else rs.reconstruct(shards)


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


# --- the field and the matrix (§7.1) ----------------------------------------------------------
def test_constants_are_the_books_4_plus_2_with_32000_byte_blocks():
    assert (rs.DATA_SHARDS, rs.PARITY_SHARDS, rs.ALL_SHARDS) == (4, 2, 6)
    assert (rs.BLOCK_SIZE, rs.BLOCK_PER_SHARD) == (32000, 8000)


def test_gf_exp_gives_klauspost_sanity_values():
    assert rs.gf_exp(2, 2) == 4
    assert rs.gf_exp(5, 20) == 235
    assert rs.gf_exp(13, 7) == 43


def test_gf_mul_uses_polynomial_0x11d():
    assert rs.gf_mul(0x80, 2) == 0x1D  # x^8 reduces to x^4+x^3+x^2+1
    assert all(rs.gf_mul(a, rs.gf_inv(a)) == 1 for a in range(1, 256))


def test_encoding_matrix_is_identity_over_the_two_klauspost_parity_rows():
    identity = [tuple(int(r == c) for c in range(4)) for r in range(4)]
    assert list(rs.ENCODE_MATRIX[:4]) == identity
    assert rs.ENCODE_MATRIX[4] == (0x1B, 0x1C, 0x12, 0x14)
    assert rs.ENCODE_MATRIX[5] == (0x1C, 0x1B, 0x14, 0x12)


# --- the book's test vectors (§7.2) -----------------------------------------------------------
def test_42_byte_object_gives_the_books_six_shards():
    assert [s.hex() for s in rs.encode(BOOK_OBJECT)] == BOOK_SHARDS_HEX


def test_reference_path_gives_the_books_six_shards():
    assert [s.hex() for s in rs.encode_block_reference(BOOK_OBJECT)] == BOOK_SHARDS_HEX


def test_one_byte_object_a_gives_61_00_00_00_d2_e8():
    assert rs.encode(b"a") == [b"\x61", b"\x00", b"\x00", b"\x00", b"\xd2", b"\xe8"]


def test_100000_byte_object_shards_have_the_books_sha256():
    data = bytes(k % 251 for k in range(100000))
    shards = rs.encode(data)
    assert [len(s) for s in shards] == [25000] * 6
    assert [sha256_b64(s) for s in shards] == BOOK_100000_SHA256


def test_empty_object_gives_six_empty_shards():
    assert rs.encode(b"") == [b""] * 6


# --- shard sizes (§3.4) -----------------------------------------------------------------------
@pytest.mark.parametrize("size, expected", [
    (0, 0), (1, 1), (4, 1), (5, 2), (42, 11), (31999, 8000), (32000, 8000), (32001, 8001),
    (100000, 25000), (1024007, 256002),
])
def test_shard_size_is_8000_per_block_plus_a_quarter_of_the_tail_rounded_up(size, expected):
    assert rs.shard_size(size) == expected


def test_shard_size_equals_ceil_of_size_over_four_and_the_encoded_length():
    for size in list(range(0, 70)) + list(range(31990, 32010)) + [64001, 96003]:
        assert rs.shard_size(size) == -(-size // 4)
        assert {len(s) for s in rs.encode(bytes(size))} == {rs.shard_size(size)}


# --- fast path == reference path --------------------------------------------------------------
@pytest.mark.parametrize("size", [0, 1, 2, 3, 41, 31999, 32000, 32001, 100000, 1024000 + 7])
def test_fast_encode_equals_the_plain_python_reference(size):
    data = random_bytes(size, seed=size)
    assert rs.encode(data) == reference_encode(data)


def test_encode_accepts_memoryview_and_bytearray():
    data = random_bytes(70001)
    assert rs.encode(memoryview(data)) == rs.encode(bytearray(data)) == rs.encode(data)


def test_encoding_a_run_of_whole_blocks_at_a_time_gives_the_same_shards():
    data = random_bytes(5 * rs.BLOCK_SIZE + 123)
    step = 2 * rs.BLOCK_SIZE
    runs = [rs.encode(data[i:i + step]) for i in range(0, len(data), step)]
    assert [b"".join(parts) for parts in zip(*runs)] == rs.encode(data)


def test_reference_path_rejects_more_than_one_block():
    with pytest.raises(ValueError):
        rs.encode_block_reference(bytes(rs.BLOCK_SIZE + 1))


# --- decode -----------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [100000, ODD_TAIL_SIZE])
@pytest.mark.parametrize("kept", FOUR_OF_SIX, ids=lambda kept: "keep" + "".join(map(str, kept)))
def test_any_four_shards_decode_to_the_object(kept, size):
    data = random_bytes(size)
    assert rs.decode(keep_only(rs.encode(data), kept), size) == data


@pytest.mark.parametrize("kept", FIVE_OF_SIX, ids=lambda kept: "keep" + "".join(map(str, kept)))
def test_any_five_shards_decode_to_the_object(kept):
    data = random_bytes(ODD_TAIL_SIZE)
    assert rs.decode(keep_only(rs.encode(data), kept), len(data)) == data


@pytest.mark.parametrize("size", [0, 1, 42, 31999, 32000, 32001, ODD_TAIL_SIZE])
def test_all_six_shards_decode_to_the_object(size):
    data = random_bytes(size)
    assert rs.decode(rs.encode(data), size) == data


def test_decode_with_every_data_shard_present_does_no_field_arithmetic(monkeypatch):
    data = random_bytes(ODD_TAIL_SIZE)
    shards = keep_only(rs.encode(data), (0, 1, 2, 3))

    def forbidden(*args):
        raise AssertionError("GF arithmetic used although all data shards are present")

    monkeypatch.setattr(rs, "_mul_rows", forbidden)
    assert rs.decode(shards, len(data)) == data


def test_decode_drops_the_zero_padding_of_the_last_block():
    shards = rs.encode(BOOK_OBJECT)
    assert rs.decode(keep_only(shards, (1, 2, 4, 5)), 42) == BOOK_OBJECT
    assert rs.decode(keep_only(rs.encode(b"a"), (3, 4, 5, 0)), 1) == b"a"


def test_decode_of_a_run_of_blocks_in_the_middle_of_an_object():
    data = random_bytes(7 * rs.BLOCK_SIZE + 5)
    shards = rs.encode(data)
    begin, end = 2 * rs.BLOCK_PER_SHARD, 5 * rs.BLOCK_PER_SHARD  # blocks 2, 3 and 4
    run = [s[begin:end] for s in shards]
    assert rs.decode(keep_only(run, (1, 2, 4, 5)), 3 * rs.BLOCK_SIZE) == data[64000:160000]


def test_decode_accepts_memoryview_shards():
    data = random_bytes(40000)
    shards = [memoryview(s) for s in rs.encode(data)]
    assert rs.decode(keep_only(shards, (0, 2, 3, 5)), len(data)) == data


def test_decode_rejects_a_size_larger_than_the_shards_hold():
    with pytest.raises(ValueError):
        rs.decode(rs.encode(BOOK_OBJECT), 45)


# --- reconstruct ------------------------------------------------------------------------------
@pytest.mark.parametrize("kept", FOUR_OF_SIX, ids=lambda kept: "keep" + "".join(map(str, kept)))
def test_reconstruct_rebuilds_every_missing_data_and_parity_shard(kept):
    shards = rs.encode(random_bytes(ODD_TAIL_SIZE))
    assert rs.reconstruct(keep_only(shards, kept)) == shards


def test_reconstruct_with_nothing_missing_returns_the_shards():
    shards = rs.encode(BOOK_OBJECT)
    assert rs.reconstruct(list(shards)) == shards


# --- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("operation", ["decode", "reconstruct"])
def test_fewer_than_four_shards_raise_not_enough_shards(operation):
    shards = keep_only(rs.encode(BOOK_OBJECT), (0, 4, 5))
    with pytest.raises(rs.NotEnoughShards):
        run_on_book_object(operation, shards)


@pytest.mark.parametrize("operation", ["decode", "reconstruct"])
def test_present_shards_of_unequal_length_raise_shard_length_mismatch(operation):
    shards = keep_only(rs.encode(BOOK_OBJECT), (0, 1, 2, 4, 5))
    shards[4] = shards[4][:-1]
    with pytest.raises(rs.ShardLengthMismatch):
        run_on_book_object(operation, shards)


def test_codec_errors_are_value_errors():
    assert issubclass(rs.NotEnoughShards, ValueError)
    assert issubclass(rs.ShardLengthMismatch, ValueError)


def test_a_list_of_other_than_six_shards_is_rejected():
    with pytest.raises(ValueError):
        rs.decode(rs.encode(BOOK_OBJECT)[:5], 42)
