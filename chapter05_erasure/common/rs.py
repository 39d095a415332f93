"""Reed-Solomon 4+2 codec, byte-identical to the book's Go code (src/lib/rs, klauspost/reedsolomon).

Book chapter 5 (contract §3.4, §7.1): each 32000-byte block is split into four 8000-byte data
pieces plus two parity pieces over GF(2^8) (polynomial 0x11D); any 4 of the 6 rebuild the block.
The fast path applies the matrix to whole arrays of blocks: with Intel's ISA-L when it is
installed (``isal_ec``), else with numpy tables; encode_block_reference is the same arithmetic in
plain Python, for reading, and the tests hold all three to the book's vectors.

    object: | block 0 (32000 B)           | block 1 ...  | last block (may be short) |
    block:  | d0 8000 | d1 | d2 | d3 |  ->  p0 = 1b*d0 + 1c*d1 + 12*d2 + 14*d3, p1 = ...
    shard i = piece i of block 0 + piece i of block 1 + ... + piece i of the last block
"""
from functools import lru_cache, reduce
from operator import xor

import numpy as np
import reedsolo

from chapter05_erasure.common import isal_ec

DATA_SHARDS = 4
PARITY_SHARDS = 2
ALL_SHARDS = 6
BLOCK_SIZE = 32000
BLOCK_PER_SHARD = 8000

# Shards are multiplied in slices of this many 2-byte words (64 KiB of a shard), so numpy's
# temporary (take turns the indices into 8-byte ints) stays small and in cache.
_CHUNK_WORDS = 32768


class NotEnoughShards(ValueError):
    """Fewer than DATA_SHARDS shards are present: the block cannot be rebuilt."""


class ShardLengthMismatch(ValueError):
    """The present shards do not all have the same length."""


# --- GF(2^8) with polynomial x^8+x^4+x^3+x^2+1, generator 2 ----------------------------------
# reedsolo.init_tables returns (log table, exp table doubled to 510 entries, field size - 1).
_LOG, _EXP = (bytes(table) for table in reedsolo.init_tables(0x11D)[:2])


def gf_mul(a: int, b: int) -> int:
    """Multiply two field elements: add their logarithms (_EXP is doubled, so no modulo)."""
    return 0 if a == 0 or b == 0 else _EXP[_LOG[a] + _LOG[b]]


def gf_inv(a: int) -> int:
    """Multiplicative inverse of a non-zero element."""
    return _EXP[255 - _LOG[a]]


def gf_exp(a: int, n: int) -> int:
    """a to the power n, as klauspost's galExp (0^0 = 1)."""
    if n == 0:
        return 1
    return 0 if a == 0 else _EXP[_LOG[a] * n % 255]


def _mat_mul(a: list, b: list) -> list:
    """Matrix product over GF(2^8): sums are XORs."""
    return [[reduce(xor, (gf_mul(row[k], b[k][c]) for k in range(len(b))), 0)
             for c in range(len(b[0]))] for row in a]


def _mat_invert(m: list) -> list:
    """Gauss-Jordan elimination over GF(2^8) on [m | I]."""
    n = len(m)
    work = [list(row) + [int(r == c) for c in range(n)] for r, row in enumerate(m)]
    for col in range(n):
        pivot = next((r for r in range(col, n) if work[r][col]), None)
        if pivot is None:
            raise ValueError("matrix is singular")
        work[col], work[pivot] = work[pivot], work[col]
        scale = gf_inv(work[col][col])
        work[col] = [gf_mul(scale, x) for x in work[col]]
        for r in range(n):
            factor = work[r][col]
            if r != col and factor:
                work[r] = [x ^ gf_mul(factor, y) for x, y in zip(work[r], work[col])]
    return [row[n:] for row in work]


def _encoding_matrix() -> tuple:
    """klauspost's default: Vandermonde V[r][c] = r^c times the inverse of its top 4x4."""
    vandermonde = [[gf_exp(r, c) for c in range(DATA_SHARDS)] for r in range(ALL_SHARDS)]
    matrix = _mat_mul(vandermonde, _mat_invert(vandermonde[:DATA_SHARDS]))
    return tuple(tuple(row) for row in matrix)


# Rows 0-3 are the identity (data shards are the object); rows 4-5 are 1b 1c 12 14 / 1c 1b 14 12.
ENCODE_MATRIX = _encoding_matrix()
PARITY_ROWS = ENCODE_MATRIX[DATA_SHARDS:]


# --- public API ---------------------------------------------------------------------------------
def shard_size(object_size: int) -> int:
    """Bytes in each shard of an object: 8000 per full block plus ceil(tail/4), i.e. ceil(S/4)."""
    full, tail = divmod(object_size, BLOCK_SIZE)
    return BLOCK_PER_SHARD * full + -(-tail // DATA_SHARDS)


def encode(data: bytes | memoryview) -> list[bytes]:
    """Encode a run of whole blocks (plus at most one final short block) into 6 shard chunks."""
    buf = np.frombuffer(data, np.uint8)
    full = len(buf) // BLOCK_SIZE * BLOCK_SIZE
    blocks = buf[:full].reshape(-1, DATA_SHARDS, BLOCK_PER_SHARD)
    shards = _encode_pieces([blocks[:, i, :] for i in range(DATA_SHARDS)])
    if full < len(buf):  # the object's last block is short: Split pads it with zeros
        tail = _encode_pieces(list(_split(buf[full:])))
        shards = [a + b for a, b in zip(shards, tail)]
    return shards


def decode(shards: list[bytes | None], size: int) -> bytes:
    """Rebuild the object bytes of a run of blocks from any 4 shard chunks, trimmed to size."""
    data = _recover_data(_as_arrays(shards))
    return _interleave(data, size)


def reconstruct(shards: list[bytes | None]) -> list[bytes]:
    """Return all 6 shard chunks, rebuilding the missing ones (data or parity) from any 4."""
    arrays = _as_arrays(shards)
    data = _recover_data(arrays)
    lost_parity = [i for i in range(DATA_SHARDS, ALL_SHARDS) if arrays[i] is None]
    rebuilt = dict(zip(lost_parity, _mul_rows([ENCODE_MATRIX[i] for i in lost_parity], data)))
    rebuilt.update((i, data[i].tobytes()) for i in range(DATA_SHARDS) if arrays[i] is None)
    return [rebuilt[i] if shard is None else bytes(shard) for i, shard in enumerate(shards)]


def encode_block_reference(block: bytes) -> list[bytes]:
    """Encode one block in plain Python, byte by byte: the slow path students can follow."""
    if len(block) > BLOCK_SIZE:
        raise ValueError(f"a block holds at most {BLOCK_SIZE} bytes")
    per = -(-len(block) // DATA_SHARDS)
    padded = bytes(block) + bytes(DATA_SHARDS * per - len(block))
    data = [padded[i * per:(i + 1) * per] for i in range(DATA_SHARDS)]
    parity = [bytes(reduce(xor, map(gf_mul, row, column), 0) for column in zip(*data))
              for row in PARITY_ROWS]
    return data + parity


# --- private helpers ----------------------------------------------------------------------------
def _split(block: np.ndarray) -> np.ndarray:
    """klauspost Split: per = ceil(len/4), zero-pad to 4*per, four rows of per bytes."""
    per = -(-len(block) // DATA_SHARDS)
    padded = np.zeros(DATA_SHARDS * per, np.uint8)
    padded[:len(block)] = block
    return padded.reshape(DATA_SHARDS, per)


def _encode_pieces(pieces: list[np.ndarray]) -> list[bytes]:
    """Data shard i = piece i of every block, side by side; then the two parity shards."""
    data = [piece.tobytes() for piece in pieces]  # the one copy of the data shards
    return data + _mul_rows(PARITY_ROWS, [np.frombuffer(shard, np.uint8) for shard in data])


def _as_arrays(shards: list) -> list:
    """Check count and lengths; return the shards as uint8 arrays (None stays None)."""
    if len(shards) != ALL_SHARDS:
        raise ValueError(f"expected {ALL_SHARDS} shards, got {len(shards)}")
    lengths = {len(s) for s in shards if s is not None}
    if sum(s is not None for s in shards) < DATA_SHARDS:
        raise NotEnoughShards(f"need {DATA_SHARDS} of {ALL_SHARDS} shards")
    if len(lengths) > 1:
        raise ShardLengthMismatch(f"present shards differ in length: {sorted(lengths)}")
    return [None if s is None else np.frombuffer(s, np.uint8) for s in shards]


def _recover_data(arrays: list) -> list[np.ndarray]:
    """Return the 4 data shards, solving for the missing ones with the first 4 present rows."""
    lost = [i for i in range(DATA_SHARDS) if arrays[i] is None]
    if not lost:  # the data shards are the object: no arithmetic at all
        return arrays[:DATA_SHARDS]
    used = tuple(i for i, a in enumerate(arrays) if a is not None)[:DATA_SHARDS]
    inverse = _decode_matrix(used)
    rebuilt = _mul_rows([inverse[i] for i in lost], [arrays[i] for i in used])
    data = arrays[:DATA_SHARDS]
    for i, shard in zip(lost, rebuilt):
        data[i] = np.frombuffer(shard, np.uint8)
    return data


@lru_cache(maxsize=None)
def _decode_matrix(used: tuple) -> list:
    """Inverse of the rows of ENCODE_MATRIX that were kept (15 patterns, so cached)."""
    return _mat_invert([ENCODE_MATRIX[i] for i in used])


def _interleave(data: list[np.ndarray], size: int) -> bytes:
    """Lay the data shards back out block by block (piece 0..3 of each block), trimmed to size."""
    length = len(data[0])
    if not 0 <= size <= DATA_SHARDS * length:
        raise ValueError(f"size {size} does not fit in shards of {length} bytes")
    views = [memoryview(shard) for shard in data]
    starts = range(0, length, BLOCK_PER_SHARD)  # the last block's pieces may be shorter
    joined = b"".join(view[start:start + BLOCK_PER_SHARD] for start in starts for view in views)
    return joined if len(joined) == size else joined[:size]  # drop Split's zero padding


def _mul_rows(rows: list, inputs: list[np.ndarray]) -> list[bytes]:
    """For each row of coefficients, the GF sum of coefficient * input (1-D inputs, one length)."""
    if isal_ec.available:
        return isal_ec.mul_rows(rows, inputs)
    outputs = []
    for start in range(0, len(rows), 2):  # one table lookup serves two output rows at once
        outputs += _mul_row_pair(rows[start:start + 2], inputs)
    return outputs


# --- speed only: skip on first reading (the numpy table path; encode_block_reference is the same)

def _mul_row_pair(rows: list, inputs: list[np.ndarray]) -> list[bytes]:
    """One or two output rows: per 2-byte input word, one lookup yields every row's products."""
    even = len(inputs[0]) // 2 * 2  # uint16 views need an even length; an odd last byte is apart
    terms = [(_column_table(column), source[:even].view(np.uint16))
             for column, source in zip(zip(*rows), inputs) if any(column)]
    outputs = _mul_words(terms, even // 2, len(rows))
    if even < len(inputs[0]):
        outputs = [out + bytes([_mul_last_byte(row, inputs)]) for row, out in zip(rows, outputs)]
    return outputs


def _mul_words(terms: list, length: int, nrows: int) -> list[bytes]:
    """XOR of table[source] over the terms, slice by slice; then split the rows apart."""
    (first_table, first_source), *rest = terms
    acc = np.empty(length, first_table.dtype)
    product = np.empty(min(length, _CHUNK_WORDS), acc.dtype)
    for start in range(0, length, _CHUNK_WORDS):
        part = slice(start, start + _CHUNK_WORDS)
        out = acc[part]
        np.take(first_table, first_source[part], out=out, mode="clip")  # clip: no bounds pass
        for table, source in rest:
            np.take(table, source[part], out=product[:len(out)], mode="clip")
            np.bitwise_xor(out, product[:len(out)], out=out)
    rows = [acc.astype(np.uint16, copy=False).tobytes()]  # row 0: the low 16 bits of each entry
    if nrows == 2:
        np.right_shift(acc, 16, out=acc)  # row 1: the high 16 bits
        rows.append(acc.astype(np.uint16).tobytes())
    return rows


def _mul_last_byte(row: tuple, inputs: list[np.ndarray]) -> int:
    """The odd last byte has no partner for a 2-byte word: use the 256-entry tables."""
    return reduce(xor, (int(_table8(c)[source[-1]]) for c, source in zip(row, inputs)), 0)


@lru_cache(maxsize=64)
def _column_table(column: tuple) -> np.ndarray:
    """For one input and 1-2 coefficients: entry w = coefficient 0 * word w in the low 16 bits,
    coefficient 1 * w in the high 16 bits.

    65,536 entries (256 KiB for two coefficients): big, but one numpy take then multiplies two
    bytes for two rows, four products per lookup.
    """
    table = np.zeros(65536, np.uint32 if len(column) == 2 else np.uint16)
    for shift, coefficient in zip((0, 16), column):
        table |= _table16(coefficient).astype(table.dtype) << shift
    return table


def _table16(coefficient: int) -> np.ndarray:
    """coefficient * each byte of a 2-byte word w, as a 2-byte word (memory order kept)."""
    products = _table8(coefficient).astype(np.uint16)
    words = np.arange(65536, dtype=np.uint16)
    return (products[words >> 8] << 8) | products[words & 0xFF]


@lru_cache(maxsize=None)
def _table8(coefficient: int) -> np.ndarray:
    """coefficient * x for every byte x."""
    return np.array([gf_mul(coefficient, x) for x in range(256)], np.uint8)
