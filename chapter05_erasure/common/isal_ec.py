"""GF(2^8) matrix products by Intel's ISA-L (``ec_encode_data``), when the library is installed.

Speed only: skip this module on first reading; the chapter works the same without it.

ISA-L (Debian's ``libisal2``) applies any coefficient matrix with SIMD instructions, about ten
times faster than the numpy tables of ``rs`` and without holding the GIL (ctypes releases it).
``rs`` hands it the book's own coefficients, so the shards stay byte-identical; without the
library ``available`` is False and ``rs`` uses numpy. The scripts install it (scripts/env.sh).
"""
import ctypes
import ctypes.util
from functools import lru_cache

import numpy as np


def _load():
    for name in filter(None, (ctypes.util.find_library("isal"), "libisal.so.2")):
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        pointer, count = ctypes.c_void_p, ctypes.c_int
        lib.ec_init_tables.argtypes = [count, count, pointer, pointer]
        lib.ec_encode_data.argtypes = [count, count, count, pointer, pointer, pointer]
        lib.ec_init_tables.restype = lib.ec_encode_data.restype = None
        return lib
    return None


_lib = _load()
available = _lib is not None


def mul_rows(rows: list, inputs: list[np.ndarray]) -> list[bytes]:
    """For each row of coefficients, the GF sum of coefficient * input (equal-length 1-D inputs)."""
    if not rows:
        return []
    length = len(inputs[0])
    sources = [np.ascontiguousarray(source, np.uint8) for source in inputs]
    outputs = [np.empty(length, np.uint8) for _ in rows]
    if length:
        _lib.ec_encode_data(length, len(inputs), len(rows), _tables(tuple(map(tuple, rows))),
                            _pointers(sources), _pointers(outputs))
    return [out.tobytes() for out in outputs]


@lru_cache(maxsize=64)
def _tables(rows: tuple) -> ctypes.Array:
    """ISA-L's expanded form of a coefficient matrix (32 bytes per coefficient)."""
    k = len(rows[0])
    coefficients = (ctypes.c_ubyte * (k * len(rows)))(*[c for row in rows for c in row])
    tables = (ctypes.c_ubyte * (32 * k * len(rows)))()
    _lib.ec_init_tables(k, len(rows), coefficients, tables)
    return tables


def _pointers(arrays: list[np.ndarray]) -> ctypes.Array:
    return (ctypes.c_void_p * len(arrays))(*[a.ctypes.data for a in arrays])
