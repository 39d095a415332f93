"""What durability costs (issue 18): chapter 8 with fsyncs (FSYNC=1, the default) against without.

Two chapter 8 clusters side by side (FSYNC=1 on 22345, FSYNC=0 on 22346), measured alternately:
a 256 MiB PUT through the api (curl, 2 rounds, new content each), and new 4 KiB PUTs, one client
(p50) and 16 concurrent clients for 10 s (objects/s). No target: the note reports the cost.
Run: python bench/bench_fsync.py
"""
import base64
import hashlib
import os
import threading
import time

import requests

from common import (PORT, MiB, banner, cluster, curl, digest_of, load, payload, percentile, redone, retrying,
                    table, worker)

SIZE = 256 * MiB
CLIENTS = 16
SECONDS = 10.0


def main() -> None:
    banner("chapter 8 with and without fsync: 256 MiB PUT, 4 KiB PUT")
    files = [payload(SIZE, tag) for tag in "ab"]
    with cluster(8, FSYNC="1") as synced, cluster(8, port=PORT + 1, FSYNC="0") as unsynced:
        clusters = {"FSYNC=1": synced, "FSYNC=0": unsynced}
        big = {label: [] for label in clusters}
        for n, path in enumerate(files):
            for label, running in clusters.items():
                url = f"http://{running.api_servers[0].address}/objects/big-{n}"
                watch = {"api": worker(running.api_servers[0].pid), "data": [worker(d.pid) for d in running.data_servers]}
                big[label].append(retrying(running, lambda: curl("PUT", url, path, [f"Digest: {digest_of(path)}"], watch)))
        small = {label: single(running) for label, running in clusters.items()}
        rates = {label: concurrent(running) for label, running in clusters.items()}
    table(["", "256 MiB PUT MB/s (best)", "4 KiB PUT p50 ms (1 client)", f"4 KiB PUT/s ({CLIENTS} clients)"],
          [[label, max(t.mb_s for t in big[label]), percentile(small[label], 50), rates[label]] for label in clusters])
    for what, values in (("256 MiB PUT", {k: max(t.mb_s for t in v) for k, v in big.items()}), ("4 KiB PUT/s", rates)):
        print(f"   {what} with fsync / without: {values['FSYNC=1'] / values['FSYNC=0']:.2f}")
    redone()
    print(f"   after: {load()}")


def put_small(session, running, name: str) -> float:
    body = os.urandom(4096)
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    start = time.perf_counter()
    answer = session.put(f"http://{running.api_servers[n_api(name)].address}/objects/{name}", data=body,
                         headers={"Digest": digest}, timeout=30)
    answer.raise_for_status()
    return time.perf_counter() - start


def n_api(name: str) -> int:
    return hash(name) % 2


def single(running, count: int = 150) -> list:
    session = requests.Session()
    return [1000 * put_small(session, running, f"one-{os.urandom(6).hex()}") for _ in range(count)]


def concurrent(running) -> float:
    """New 4 KiB objects PUT by CLIENTS threads for SECONDS; objects/s."""
    done, stop = [0] * CLIENTS, time.monotonic() + SECONDS

    def client(n):
        session = requests.Session()
        while time.monotonic() < stop:
            put_small(session, running, f"many-{n}-{os.urandom(6).hex()}")
            done[n] += 1
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / SECONDS


if __name__ == "__main__":
    main()
