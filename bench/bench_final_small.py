"""Small objects: final/ (containers, three replicas) against chapter 8 (4+2 shard files), side by side.

Both clusters run at once (final/ on 22345, chapter 8 on 22346), each with its six data servers
and two api servers; the book API is used. For each, new 4 KiB objects are PUT by 16 clients for
15 s, then GET (random names of those) by 16 clients for 15 s, spread over both api servers
(``loadgen.py``: keep-alive connections on asyncio, a few tens of microseconds of client CPU per
request); then one client does 200 PUTs and 200 GETs in turn (p50).
Targets (issue 19): final/ PUT >= 300 objects/s and GET >= 1,000 objects/s at 16 clients, PUT p99 <=
100 ms; one client: GET p50 <= 5 ms, PUT p50 <= 15 ms.
Run: python bench/bench_final_small.py [--seconds 15] [--only final]
"""
import argparse
import base64
import hashlib
import os
import random

from common import PORT, banner, cluster, load, percentile, redone, table, verdict
from loadgen import request, run

SIZE = 4096
CLIENTS = 16


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--only", choices=["final", "chapter 8"])
    args = parser.parse_args()
    banner("small objects: final/ against chapter 8, 4 KiB, 16 clients")
    rows, results = [], {}
    for label, chapter, port in (("final", 9, PORT), ("chapter 8", 8, PORT + 1)):
        if args.only and label != args.only:
            continue
        with cluster(chapter, port=port) as running:
            results[label] = measure(running, args.seconds)
        rows.append(row(label, results[label]))
    table(["4 KiB objects", "PUT/s (16)", "PUT p50 ms", "PUT p99 ms", "GET/s (16)", "GET p50 ms", "GET p99 ms",
           "1-client PUT p50", "1-client GET p50"], rows)
    if "final" in results:
        final = results["final"]
        if "chapter 8" in results:
            print(f"   final / chapter 8: PUT {final['put'].rate / results['chapter 8']['put'].rate:.1f}x, "
                  f"GET {final['get'].rate / results['chapter 8']['get'].rate:.1f}x")
        verdict("final PUT objects/s at 16 clients", final["put"].rate, ">=", 300)
        verdict("final GET objects/s at 16 clients", final["get"].rate, ">=", 1000)
        verdict("final PUT p99 at 16 clients", 1000 * percentile(final["put"].latencies, 99), "<=", 100, " ms")
        verdict("final one-client GET p50", 1000 * percentile(final["one_get"].latencies, 50), "<=", 5, " ms")
        verdict("final one-client PUT p50", 1000 * percentile(final["one_put"].latencies, 50), "<=", 15, " ms")
    redone()
    print(f"   after: {load()}")


def measure(running, seconds: float) -> dict:
    apis = [p.address for p in running.api_servers]
    names = []

    def put(n, target):
        body = os.urandom(SIZE)
        name = f"small-{n}-{os.urandom(4).hex()}"
        names.append(name)
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        return request("PUT", f"/objects/{name}", target, body, {"Digest": f"SHA-256={digest}"})

    def get(n, target):
        return request("GET", f"/objects/{random.choice(names)}", target)

    run(apis, put, CLIENTS, 2)                                   # warm-up: connections, pools, JIT
    found = {"put": run(apis, put, CLIENTS, seconds)}
    found["get"] = run(apis, get, CLIENTS, seconds)
    found["one_put"] = run(apis[:1], put, 1, 4)
    found["one_get"] = run(apis[:1], get, 1, 4)
    for label, result in found.items():
        bad = {s: c for s, c in result.statuses.items() if s != 200}
        if bad:
            print(f"   {label}: answers other than 200: {bad}")
    return found


def row(label: str, found: dict) -> list:
    put, get = found["put"], found["get"]
    return [label, put.rate, 1000 * percentile(put.latencies, 50), 1000 * percentile(put.latencies, 99),
            get.rate, 1000 * percentile(get.latencies, 50), 1000 * percentile(get.latencies, 99),
            1000 * percentile(found["one_put"].latencies, 50), 1000 * percentile(found["one_get"].latencies, 50)]


if __name__ == "__main__":
    main()
