"""Benchmark the chapter-5 Reed-Solomon codec in process (no servers).

Measures object bytes per second for encode, decode with data shards 0 and 3 lost (real GF work),
and decode with all data shards present (interleave only), on 1,024,000-byte batches (32 blocks)
over about 256 MiB, best of 3; then the plain-Python reference path on one block, for comparison.
Encode is shown twice: before and after glibc's allocator has seen a large buffer
(see warm_allocator).
Run: python bench/bench_codec.py
"""
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from chapter05_erasure.common import rs  # noqa: E402

BATCH = 32 * rs.BLOCK_SIZE          # 1,024,000 bytes, what a streaming PUT/GET hands the codec
TOTAL = 256 * 1024 * 1024
DISTINCT_BATCHES = 16               # cycle through 16 MB of data so caches do not flatter us
TARGET_MB_S = 600
ROUNDS = 3


def best_rate(work, batches: list, nbytes: int) -> tuple[float, float, float]:
    """ROUNDS runs of `work` over ~TOTAL bytes: (MB/s of the best run, MB/s of the median batch,
    page faults per batch).

    The median batch shows the codec's own speed when other processes share the 2 cores.
    Page faults are fresh memory for the output shards (about 1.5 us per 4 KiB page in this VM);
    they depend on glibc's malloc trimming, not on the codec's arithmetic.
    """
    count = TOTAL // nbytes
    best, batch_times = float("inf"), []
    faults_before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for n in range(count):
            batch_start = time.perf_counter()
            work(batches[n % len(batches)])
            batch_times.append(time.perf_counter() - batch_start)
        best = min(best, time.perf_counter() - start)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults_before
    median = statistics.median(batch_times)
    return count * nbytes / best / 1e6, nbytes / median / 1e6, faults / (count * ROUNDS)


def lose(shards: list, lost: tuple) -> list:
    """The same shards with the chosen indexes missing."""
    return [None if i in lost else s for i, s in enumerate(shards)]


def warm_allocator() -> None:
    """Allocate and free one large buffer, as a server reading 1 MB request chunks already has.

    glibc then raises its mmap and trim thresholds, so the memory of the output shards is reused
    instead of being returned to the kernel and page-faulted in again on every batch.
    """
    bytes(4 * BATCH)


def main() -> None:
    data = [os.urandom(BATCH) for _ in range(DISTINCT_BATCHES)]
    encoded = [rs.encode(d) for d in data]
    two_lost = [lose(s, (0, 3)) for s in encoded]
    parity_lost = [lose(s, (4, 5)) for s in encoded]
    rows = [("encode, cold allocator", best_rate(rs.encode, data, BATCH))]
    warm_allocator()
    rows += [
        ("encode", best_rate(rs.encode, data, BATCH)),
        ("decode, shards 0+3 lost", best_rate(lambda s: rs.decode(s, BATCH), two_lost, BATCH)),
        ("decode, all data present", best_rate(lambda s: rs.decode(s, BATCH), parity_lost, BATCH)),
    ]
    print(f"batches of {BATCH:,} bytes, ~{TOTAL >> 20} MiB per run, best of {ROUNDS}")
    print(f"{'operation':<28}{'MB/s':>8}{'vs 600':>9}{'median batch MB/s':>19}{'faults/batch':>14}")
    for name, (rate, median, faults) in rows:
        print(f"{name:<28}{rate:>8.0f}{rate / TARGET_MB_S:>8.2f}x{median:>19.0f}{faults:>14.0f}")
    rate = _reference_rate(data[0][:rs.BLOCK_SIZE])
    print(f"{'reference encode (1 block)':<28}{rate:>8.2f}{rate / TARGET_MB_S:>8.4f}x")


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
