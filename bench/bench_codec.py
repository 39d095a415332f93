"""Benchmark the chapter-5 Reed-Solomon codec in process (no servers).

Measures object bytes per second for encode, decode with data shards 0 and 3 lost (real GF work),
and decode with all data shards present (interleave only), on 1,024,000-byte batches (32 blocks)
over about 256 MiB, best of 3; then the plain-Python reference path on one block, for comparison.
Run: python bench/bench_codec.py
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from chapter05_erasure.common import rs  # noqa: E402

BATCH = 32 * rs.BLOCK_SIZE          # 1,024,000 bytes, what a streaming PUT/GET hands the codec
TOTAL = 256 * 1024 * 1024
DISTINCT_BATCHES = 16               # cycle through 16 MB of data so caches do not flatter us
TARGET_MB_S = 600
ROUNDS = 3


def best_rate(work, batches: list, nbytes: int) -> float:
    """Best of ROUNDS runs of `work` over ~TOTAL bytes of batches, in MB/s (10^6 bytes)."""
    count = TOTAL // nbytes
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for n in range(count):
            work(batches[n % len(batches)])
        best = min(best, time.perf_counter() - start)
    return count * nbytes / best / 1e6


def lose(shards: list, lost: tuple) -> list:
    """The same shards with the chosen indexes missing."""
    return [None if i in lost else s for i, s in enumerate(shards)]


def main() -> None:
    data = [os.urandom(BATCH) for _ in range(DISTINCT_BATCHES)]
    encoded = [rs.encode(d) for d in data]
    two_lost = [lose(s, (0, 3)) for s in encoded]
    parity_lost = [lose(s, (4, 5)) for s in encoded]
    rows = [
        ("encode", best_rate(rs.encode, data, BATCH)),
        ("decode, shards 0+3 lost", best_rate(lambda s: rs.decode(s, BATCH), two_lost, BATCH)),
        ("decode, all data present", best_rate(lambda s: rs.decode(s, BATCH), parity_lost, BATCH)),
    ]
    print(f"batches of {BATCH:,} bytes, ~{TOTAL >> 20} MiB per run, best of {ROUNDS}")
    print(f"{'operation':<28}{'MB/s':>10}{'vs 600 MB/s':>14}")
    for name, rate in rows:
        print(f"{name:<28}{rate:>10.0f}{rate / TARGET_MB_S:>13.2f}x")
    block = data[0][:rs.BLOCK_SIZE]
    rate = _reference_rate(block)
    print(f"{'reference encode (1 block)':<28}{rate:>10.2f}{rate / TARGET_MB_S:>13.4f}x")


def _reference_rate(block: bytes) -> float:
    """The plain-Python path is far slower, so time it on one 32000-byte block only."""
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        rs.encode_block_reference(block)
        best = min(best, time.perf_counter() - start)
    return len(block) / best / 1e6


if __name__ == "__main__":
    main()
