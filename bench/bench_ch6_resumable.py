"""Chapter 6 resumable upload and ranged read, on one chapter 6 cluster (port 22345).

1. A 256 MiB object uploaded in 4 pieces (``POST /objects/<name>`` with ``Size`` and ``Digest`` ->
   ``201 Location: /temp/<token>``, then 4 x ``PUT <Location>`` with ``Range: bytes=<offset>-``), against
   a single PUT of another 256 MiB object; two rounds, alternating order, each a new random content.
   The server keeps whole 32000-byte blocks, so the pieces end at multiples of 32000 (3 x 2097 blocks,
   the last piece takes the rest); each piece's ``Upload-Offset`` is checked. The resumable time is
   the POST's plus the four PUTs' (as curl times them), without the ``sync`` before each transfer,
   as for the single PUT; each piece's time is printed.
2. Time to first byte and total time of ``Range: bytes=<size - 1 MiB>-`` on a 256 MiB object against a
   GET of a whole 1 MiB object (curl, alternating, medians of 20).
Targets (issue 7): resumable >= 0.8 x single PUT; the ranged read at the end <= 2 x a 1 MiB GET.
Run: python bench/bench_ch6_resumable.py
"""
import time

import requests

from common import (FILES, MiB, Unavailable, banner, cluster, curl, digest_of, load, median,
                    payload, redone, retrying, table, verdict, worker)

SIZE = 256 * MiB
BLOCK = 32000
PIECE = 2097 * BLOCK       # 67,104,000 bytes, about 64 MiB
ROUNDS = (("resumable", "a"), ("single", "b")), (("single", "c"), ("resumable", "d"))
RANGE_REPEATS = 20


def main() -> None:
    banner("chapter 6: 256 MiB resumable upload in 4 pieces vs one PUT; 1 MiB range at the end vs 1 MiB GET")
    with cluster(6) as running:
        base = f"http://{running.api_servers[0].address}"
        watch = {"api": worker(running.api_servers[0].pid), "data": [worker(d.pid) for d in running.data_servers]}
        times = {"resumable": [], "single": []}
        for n, pair in enumerate(ROUNDS):
            for how, tag in pair:
                path = payload(SIZE, tag)
                name = f"{how}-{n}"
                if how == "single":
                    put = lambda: curl("PUT", f"{base}/objects/{name}", path, [f"Digest: {digest_of(path)}"], watch)
                    times[how].append(retrying(running, put).seconds)
                else:
                    times[how].append(retrying(running, lambda: resumable(base, name, path, watch)))
        rows = [[how, min(t), median(t), SIZE / 1e6 / min(t)] for how, t in times.items()]
        table(["256 MiB upload", "best s", "median s", "best MB/s"], rows)
        upload_ratio = min(times["single"]) / min(times["resumable"])
        ranged, whole = ranged_reads(running, base, watch)
    verdict("resumable / single PUT (best)", upload_ratio, ">=", 0.8)
    verdict("range at the end / 1 MiB GET, first byte (median)", ranged[0] / whole[0], "<=", 2)
    verdict("range at the end / 1 MiB GET, total (median)", ranged[1] / whole[1], "<=", 2)
    redone()
    print(f"   after: {load()}")


def pieces(path, tag: str) -> list:
    """The payload cut at multiples of 32000 into 4 files: [(offset, piece file), ...]."""
    cuts = [0, PIECE, 2 * PIECE, 3 * PIECE, SIZE]
    out = []
    with open(path, "rb") as data:
        for i in range(4):
            piece = FILES / f"{tag}-{SIZE}.piece{i}"
            if not piece.exists() or piece.stat().st_size != cuts[i + 1] - cuts[i]:
                data.seek(cuts[i])
                piece.write_bytes(data.read(cuts[i + 1] - cuts[i]))
            out.append((cuts[i], piece))
    return out


def resumable(base: str, name: str, path, watch: dict) -> float:
    """POST then 4 ranged PUTs; their seconds summed (the syncs between them left out)."""
    parts = pieces(path, path.name.split("-")[0])
    digest = digest_of(path)
    start = time.perf_counter()
    answer = requests.post(f"{base}/objects/{name}", headers={"Digest": digest, "Size": str(SIZE)}, timeout=30)
    if answer.status_code != 201:
        raise Unavailable(f"POST {name}: {answer.status_code} {answer.text[:100]}")
    seconds = [time.perf_counter() - start]
    location = base + answer.headers["Location"]
    for i, (offset, piece) in enumerate(parts):
        done = curl("PUT", location, piece, [f"Range: bytes={offset}-"], watch)
        seconds.append(done.seconds)
        if i < 3 and done.headers.get("Upload-Offset") != str(parts[i + 1][0]):
            raise Unavailable(f"piece {i}: Upload-Offset {done.headers.get('Upload-Offset')}, "
                              f"expected {parts[i + 1][0]}")
    print(f"   {name}: POST {1000 * seconds[0]:.0f} ms, pieces " + ", ".join(f"{1000 * t:.0f}" for t in seconds[1:])
          + f" ms (the last one verifies and commits); {time.perf_counter() - start:.2f} s with the syncs between")
    return sum(seconds)


def ranged_reads(running, base: str, watch: dict) -> tuple:
    """Medians (first byte ms, total ms) of the last 1 MiB of a 256 MiB object and of a 1 MiB object."""
    small = payload(MiB, "s")
    retrying(running, lambda: curl("PUT", f"{base}/objects/small", small, [f"Digest: {digest_of(small)}"]))
    big = payload(SIZE, "a")                         # stored as resumable-0
    start = SIZE - MiB
    got = requests.get(f"{base}/objects/resumable-0", headers={"Range": f"bytes={start}-"}, timeout=30)
    with open(big, "rb") as data:
        data.seek(start)
        expected = data.read()
    if got.status_code != 206 or got.content != expected:
        raise SystemExit(f"range read: {got.status_code}, {len(got.content)} bytes, content "
                         f"{'matches' if got.content == expected else 'differs'}")
    runs = {"Range: last 1 MiB of 256 MiB": [], "GET 1 MiB object": []}
    for _ in range(RANGE_REPEATS):
        for label, transfer in runs.items():
            if label.startswith("Range"):
                get = lambda: curl("GET", f"{base}/objects/resumable-0", None, [f"Range: bytes={start}-"],
                                   watch, ok=("206",))
            else:
                get = lambda: curl("GET", f"{base}/objects/small", None, [], watch)
            transfer.append(retrying(running, get))
    stats = {label: (median([1000 * t.first_byte for t in ts]), median([1000 * t.seconds for t in ts]))
             for label, ts in runs.items()}
    table(["1 MiB read", "1st byte ms p50", "total ms p50", "total ms max", "bytes"],
          [[label, *stats[label], max(1000 * t.seconds for t in ts), ts[0].nbytes] for label, ts in runs.items()])
    return stats["Range: last 1 MiB of 256 MiB"], stats["GET 1 MiB object"]


if __name__ == "__main__":
    main()
