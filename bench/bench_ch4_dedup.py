"""Chapter 4 dedup: new small objects must not wait out the locate window; big objects against chapter 2.

Both clusters run side by side (chapter 4 on 22345 with LOCATE_TIMEOUT=1, chapter 2 on 22346) and
alternate. Measures the p50/p99 of a new 4 KiB object's PUT (and of chapter 4's first step, a locate
that finds nothing, which must end well before LOCATE_TIMEOUT), then 256 MiB objects through each api
(curl, best and median of 3, each round a new random content): PUT of new content, GET, and a PUT
of the same content under another name (chapter 4: deduplicated, the body only hashed).
Targets (issue 5): new 4 KiB PUT p50 <= 50 ms (the book waited 1000 ms); 256 MiB PUT >= 0.7 x chapter 2.
Run: python bench/bench_ch4_dedup.py
"""
import base64
import hashlib
import os
import time

import requests

from common import (PORT, RATE_HEADERS, MiB, Unavailable, banner, cluster, curl, digest_of, load, payload,
                    percentile, rate_row, redone, retrying, table, verdict, worker)

SMALL = 4096
WARMUP = 10
ITERATIONS = 150
SIZE = 256 * MiB
TAGS = "abc"        # one 256 MiB content per round
OPS = ("PUT new", "GET", "PUT same content")


def main() -> None:
    banner("chapter 4 vs chapter 2: new 4 KiB PUT latency, 256 MiB PUT/GET")
    files = [payload(SIZE, tag) for tag in TAGS]
    with cluster(4, LOCATE_TIMEOUT="1") as ch4, cluster(2, port=PORT + 1) as ch2:
        clusters = {"chapter 4": ch4, "chapter 2": ch2}
        small = small_puts(clusters)
        big = big_transfers(clusters, files)
    verdict("chapter 4 new 4 KiB PUT p50", small, "<=", 50, " ms")
    verdict("chapter 4 / chapter 2 256 MiB PUT (best)", big, ">=", 0.7)
    redone()
    print(f"   after: {load()}")


def small_puts(clusters: dict) -> float:
    """PUT latency of new 4 KiB objects on each cluster, alternating; chapter 4's p50 in ms."""
    sessions = {label: requests.Session() for label in clusters}
    times = {label: [] for label in clusters}
    for n in range(WARMUP + ITERATIONS):
        for label, running in clusters.items():
            seconds = retrying(running, lambda: put_small(sessions[label], running, f"small-{n}"))
            if n >= WARMUP:
                times[label].append(1000 * seconds)
    times["chapter 4 locate miss"] = locate_misses(sessions["chapter 4"], clusters["chapter 4"])
    table(["new 4 KiB PUT", "p50 ms", "p99 ms", "max ms"],
          [[label, percentile(t, 50), percentile(t, 99), max(t)] for label, t in times.items()])
    return percentile(times["chapter 4"], 50)


def locate_misses(session, running) -> list:
    """Milliseconds of ``GET /locate/<hash>`` for hashes no server holds: the step a new PUT starts with."""
    times = []
    for _ in range(ITERATIONS):
        key = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
        start = time.perf_counter()
        retrying(running, lambda: session.get(f"http://{running.api_servers[0].address}/locate/{key}", timeout=10))
        times.append(1000 * (time.perf_counter() - start))
    return times


def put_small(session, running, name: str) -> float:
    body = os.urandom(SMALL)
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    start = time.perf_counter()
    answer = session.put(f"http://{running.api_servers[0].address}/objects/{name}", data=body,
                         headers={"Digest": digest}, timeout=10)
    seconds = time.perf_counter() - start
    if answer.status_code != 200:
        raise Unavailable(f"PUT {name}: {answer.status_code} {answer.text[:100]}")
    return seconds


def big_transfers(clusters: dict, files: list) -> float:
    """256 MiB PUT new / GET / PUT again per cluster; the best chapter 4 / chapter 2 PUT ratio."""
    runs = {(label, op): [] for label in clusters for op in OPS}
    for n, path in enumerate(files):
        digest = f"Digest: {digest_of(path)}"
        for label, running in clusters.items():
            base = f"http://{running.api_servers[0].address}/objects/"
            watch = {"api": worker(running.api_servers[0].pid),
                     "data": [worker(d.pid) for d in running.data_servers]}
            for op, name, upload in (("PUT new", f"big-{n}", path), ("GET", f"big-{n}", None),
                                     ("PUT same content", f"again-{n}", path)):
                method = "PUT" if upload else "GET"
                runs[label, op].append(retrying(running, lambda: curl(method, base + name, upload, [digest], watch)))
    rows = [rate_row(f"{label} {op}", runs[label, op]) for op in OPS for label in clusters]
    table(["256 MiB via api", *RATE_HEADERS], rows)
    best = {op: max(t.mb_s for t in runs["chapter 4", op]) / max(t.mb_s for t in runs["chapter 2", op])
            for op in ("PUT new", "GET")}
    print(f"   chapter 4 / chapter 2 (best): PUT {best['PUT new']:.2f}, GET {best['GET']:.2f}")
    return best["PUT new"]


if __name__ == "__main__":
    main()
