"""final/'s container files at scale, in one data server's folder (the store itself, no HTTP).

1. 100,000 small objects (4 KiB) written through the store (its writer, group commit; fsync off,
   the disk is not what is measured): the files under the folder, the index's memory (traced in a
   fresh process), a start with the saved index, a start rebuilt from the containers alone.
2. A 1 GiB container, half of it dead (64 KiB records, every other one deleted): compacted while
   a reader thread reads live records the whole time; MB/s of the container read and rewritten.
Targets (issue 19): at most 20 files; index <= 30 MB per 100,000; start <= 2 s with the saved
index, <= 20 s rebuilt; compaction >= 200 MB/s with reads going on.
Run: python bench/bench_containers.py
"""
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from common import REPO, banner, load, table, verdict

sys.path.insert(0, str(REPO))
from chapter01_single.durable import Durability  # noqa: E402
from chapter03_metadata.common import digest  # noqa: E402
from final.containers import compaction  # noqa: E402
from final.containers.store import ContainerStore  # noqa: E402

ROOT = Path("/tmp/osd-bench/containers")
COUNT = 100_000


def key_of(data: bytes) -> str:
    return digest.key(digest.of(data))


def main() -> None:
    banner("final/ containers: 100,000 small objects, restarts, compaction of a half-dead 1 GiB container")
    shutil.rmtree(ROOT, ignore_errors=True)
    seconds = fill(ROOT / "small", COUNT, 4096, 1 << 30)
    files = sum(1 for _ in (ROOT / "small").rglob("*"))
    saved, rebuilt = start_in_child(ROOT / "small"), None
    (ROOT / "small" / "containers" / "index.snapshot").unlink()
    rebuilt = start_in_child(ROOT / "small")
    table(["100,000 x 4 KiB", "value"], [
        ["written (s, group commit, fsync off)", seconds], ["files under the folder", float(files)],
        ["index memory (MB)", saved["index_mb"]], ["start with the saved index (s)", saved["seconds"]],
        ["start rebuilt from the containers (s)", rebuilt["seconds"]]])
    compacted = compact_big(ROOT / "big")
    table(["1 GiB, half dead", "value"], [[k, float(v)] for k, v in compacted.items()])
    verdict("files under the folder", files, "<=", 20)
    verdict("index memory per 100,000", saved["index_mb"], "<=", 30, " MB")
    verdict("start with the saved index", saved["seconds"], "<=", 2, " s")
    verdict("start rebuilt from the containers", rebuilt["seconds"], "<=", 20, " s")
    verdict("compaction with reads going on", compacted["MB/s"], ">=", 200, " MB/s")
    shutil.rmtree(ROOT, ignore_errors=True)
    print(f"   after: {load()}")


def fill(root: Path, count: int, size: int, container_size: int) -> float:
    store = ContainerStore(root, container_size, Durability(False))
    store.start()
    started, threads, per = time.monotonic(), [], count // 16

    def writer(n):
        for _ in range(per):
            data = os.urandom(size)
            store.put(key_of(data), data)
    for n in range(16):
        threads.append(threading.Thread(target=writer, args=(n,)))
        threads[-1].start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    store.close()
    return seconds


def start_in_child(root: Path) -> dict:
    """Start a store on ``root`` in a fresh process: seconds, and the index's traced memory."""
    code = f"""
import json, sys, time, tracemalloc
sys.path.insert(0, {str(REPO)!r})
from chapter01_single.durable import Durability
from final.containers.store import ContainerStore
tracemalloc.start()
store = ContainerStore({str(root)!r}, 1 << 30, Durability(False))
started = time.monotonic()
store.start()
seconds = time.monotonic() - started
import gc; gc.collect()
index = sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in store.index.items()) + sys.getsizeof(store.index)
print(json.dumps({{"seconds": seconds, "index_mb": index / 1e6, "keys": len(store.index)}}))
store.close()
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def compact_big(root: Path) -> dict:
    """One container of 1 GiB (64 KiB records), every other record deleted, compacted while read."""
    store = ContainerStore(root, 2 << 30, Durability(False))
    store.start()
    datas = [os.urandom(65536) for _ in range(16)]
    keys = []
    for n in range(16384):
        data = datas[n % 16][:65536 - 8] + n.to_bytes(8, "big")
        keys.append((key_of(data), data))
        store.put(keys[-1][0], data)
    for key, _ in keys[::2]:
        store.delete(key)
    store.active = None                                  # the next write opens a new container
    live, reads, stop = keys[1::2], [0], threading.Event()

    def reader():
        while not stop.is_set():
            key, data = live[reads[0] % len(live)]
            assert store.get(key) == data
            reads[0] += 1
    thread = threading.Thread(target=reader)
    thread.start()
    try:
        (cid,) = compaction.candidates(store, 0.4)
        result = compaction.compact(store, cid)
    finally:
        stop.set()
        thread.join()
    assert all(store.get(key) == data for key, data in live[:200])
    store.close()
    return {"container MB": result["read"] / 1e6, "kept MB": result["written"] / 1e6,
            "seconds": result["seconds"], "MB/s": result["read"] / 1e6 / result["seconds"],
            "reads during it": reads[0]}


if __name__ == "__main__":
    main()
