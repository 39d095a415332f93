"""Chapter 8 maintenance tools on 1,000 small objects (one chapter 8 cluster on port 22345).

Puts 1,000 random objects of 1-4 KiB through the api (4 threads), then runs, as in the book, with data
server 1's STORAGE_ROOT and the cluster's environment (its RabbitMQ vhost, ES index, heartbeats):
``python -m chapter08_maintenance.object_scanner`` (objects/s from its "done:" line, and wall time
including joining the cluster) and ``python -m chapter08_maintenance.delete_orphan_object`` with
ORPHAN_GRACE=3600, so that it moves nothing (wall time). No target in issue 9: the note reports objects/s.
Run: python bench/bench_ch8_scanner.py
"""
import base64
import hashlib
import os
import random
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from common import REPO, Unavailable, banner, cluster, load, redone, retrying, table

OBJECTS = 1000
THREADS = 4


def main() -> None:
    banner(f"chapter 8: object_scanner and delete_orphan_object on {OBJECTS} objects of 1-4 KiB")
    with cluster(8) as running:
        seconds = put_objects(running)
        print(f"   {OBJECTS} PUTs with {THREADS} threads: {seconds:.1f} s ({OBJECTS / seconds:.0f} PUT/s)")
        server = running.data_servers[0]
        env = {**os.environ, **running.env, "STORAGE_ROOT": server.root, "LISTEN_ADDRESS": server.address,
               "ORPHAN_GRACE": "3600", "PYTHONPATH": str(REPO)}
        shards = len(os.listdir(os.path.join(server.root, "objects")))
        print(f"   data server 1 ({server.address}, {server.root}) holds {shards} shard files")
        rows = []
        for tool in ("object_scanner", "delete_orphan_object"):
            wall, code, lines = run_tool(tool, env)
            print(f"   --- {tool}: exit {code}, {len(lines)} log lines, the last 4:")
            for line in lines[-4:]:
                print(f"     {line}")
            rows.append([tool, code, wall])
            if tool == "object_scanner":
                done = [m for line in lines if (m := re.search(r"done: (\d+) objects checked in ([\d.]+) s "
                                                               r"\(([\d.]+) objects/s\)", line))]
                scan = done[-1].groups() if done else ("?", "?", "?")
        table(["tool (data server 1)", "exit", "wall s"], rows)
    print(f"   object_scanner: {scan[0]} objects checked in {scan[1]} s = {scan[2]} objects/s "
          f"(wall {rows[0][2]:.1f} s with start-up and joining the cluster)")
    redone()
    print(f"   after: {load()}")


def put_objects(running) -> float:
    """PUT OBJECTS random objects of 1-4 KiB with THREADS threads; the seconds it took."""
    url = f"http://{running.api_servers[0].address}/objects/small-"
    local = threading.local()

    def put(n: int) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()     # one connection per thread
        session = local.session
        body = os.urandom(random.randint(1024, 4096))
        digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()

        def once():
            answer = session.put(f"{url}{n}", data=body, headers={"Digest": digest}, timeout=30)
            if answer.status_code != 200:
                raise Unavailable(f"PUT small-{n}: {answer.status_code} {answer.text[:100]}")
        retrying(running, once)

    start = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(put, range(OBJECTS)))
    return time.perf_counter() - start


def run_tool(tool: str, env: dict) -> tuple:
    """Run ``python -m chapter08_maintenance.<tool>``: (wall seconds, exit status, its log lines)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", f"chapter08_maintenance.{tool}"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - start
    return wall, done.returncode, (done.stdout + done.stderr).splitlines()


if __name__ == "__main__":
    main()
