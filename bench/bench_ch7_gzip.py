"""Chapter 7 gzip at rest: 256 MiB of text-like and of random data, against chapter 6's path in the same run.

Both clusters run side by side (chapter 7 on 22345, chapter 6 on 22346) and alternate. Two rounds,
each with a new text-like content (log lines with varying timestamps, ids, numbers) and a new random
content: PUT (with Digest) and GET (plain, no Accept-Encoding: chapter 7 decompresses) through the first
api server (curl), and the disk bytes of the object's shard files on all six data servers (files
``objects/<urlsafe-base64 sha256 without padding>.*``, ``.gz`` included).
Targets (issue 8): random PUT >= 0.8 x chapter 6's, text PUT >= chapter 6's; text disk bytes <= 20 %
of chapter 6's.
Run: python bench/bench_ch7_gzip.py
"""
import base64
import random
import zlib
from pathlib import Path

from common import (FILES, PORT, RATE_HEADERS, MiB, banner, cluster, curl, digest_of, load, payload,
                    rate_row, redone, retrying, table, verdict, worker)

SIZE = 256 * MiB
ROUNDS = (("text", "t1"), ("random", "a")), (("text", "t2"), ("random", "b"))
LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]
PATHS = ["/objects/report", "/objects/photo.jpg", "/locate/abc", "/versions/notes", "/temp/upload", "/healthz"]


def main() -> None:
    banner("chapter 7 vs chapter 6: 256 MiB text-like and random PUT/GET, disk bytes per object")
    with cluster(7) as ch7, cluster(6, port=PORT + 1) as ch6:
        clusters = {"chapter 7": ch7, "chapter 6": ch6}
        runs, disk = {}, {}
        for n, pair in enumerate(ROUNDS):
            for kind, tag in pair:
                path = text_payload(SIZE, tag) if kind == "text" else payload(SIZE, tag)
                digest = digest_of(path)
                for label, running in clusters.items():
                    url = f"http://{running.api_servers[0].address}/objects/{kind}-{n}"
                    watch = {"api": worker(running.api_servers[0].pid),
                             "data": [worker(d.pid) for d in running.data_servers]}
                    put = retrying(running, lambda: curl("PUT", url, path, [f"Digest: {digest}"], watch))
                    get = retrying(running, lambda: curl("GET", url, None, [], watch))
                    runs.setdefault((label, kind, "PUT"), []).append(put)
                    runs.setdefault((label, kind, "GET"), []).append(get)
                    disk.setdefault((label, kind), []).append(disk_bytes(running, digest))
    table(["256 MiB via api", *RATE_HEADERS],
          [rate_row(f"{label} {kind} {op}", runs[label, kind, op])
           for kind in ("text", "random") for op in ("PUT", "GET") for label in clusters])
    table(["disk bytes per object", "round 1 MB", "round 2 MB", "/ object size"],
          [[f"{label} {kind}", *[sum(b) / 1e6 for b in sizes], f"{max(map(sum, sizes)) / SIZE:.3f}"]
           for (label, kind), sizes in disk.items()])
    table(["round 1 shard files MB", *[f"shard {i}" for i in range(6)]],
          [[f"{label} {kind}", *[b / 1e6 for b in sizes[0]]] for (label, kind), sizes in disk.items()])
    for tag in ("t1", "t2"):
        sample = text_payload(SIZE, tag).open("rb").read(16 * MiB)
        print(f"   text {tag}: zlib level 1 keeps {len(zlib.compress(sample, 1)) / len(sample):.1%} of its first 16 MiB")
    best = {key: max(t.mb_s for t in transfers) for key, transfers in runs.items()}
    for kind in ("text", "random"):
        print(f"   chapter 7 / chapter 6 {kind} GET (best): "
              f"{best['chapter 7', kind, 'GET'] / best['chapter 6', kind, 'GET']:.2f}")
    verdict("random PUT chapter 7 / chapter 6 (best)",
            best["chapter 7", "random", "PUT"] / best["chapter 6", "random", "PUT"], ">=", 0.8)
    verdict("text PUT chapter 7 / chapter 6 (best)",
            best["chapter 7", "text", "PUT"] / best["chapter 6", "text", "PUT"], ">=", 1.0)
    verdict("text disk bytes chapter 7 / chapter 6 (worst round)",
            max(sum(a) / sum(b) for a, b in zip(disk["chapter 7", "text"], disk["chapter 6", "text"])), "<=", 0.2)
    redone()
    print(f"   after: {load()}")


def text_payload(size: int, tag: str) -> Path:
    """``size`` bytes of log-like lines (seeded by ``tag``), made once like ``payload``."""
    path = FILES / f"{tag}-{size}.txt"
    if path.exists() and path.stat().st_size == size:
        return path
    rng = random.Random(tag)
    FILES.mkdir(exist_ok=True)
    second, written, chunk = 1_700_000_000.0, 0, []
    with open(f"{path}.part", "wb") as out:
        while written < size:
            second += rng.random() / 50
            line = (f"2026-11-{int(second // 86400) % 28 + 1:02d} {int(second) % 86400 // 3600:02d}:"
                    f"{int(second) % 3600 // 60:02d}:{second % 60:06.3f} {rng.choice(LEVELS)} api "
                    f"request={written // 97:08d} client=10.0.{rng.randrange(4)}.{rng.randrange(16)} "
                    f"{rng.choice(PATHS)}-{rng.randrange(50)} status={rng.choice((200, 200, 200, 404, 206))} "
                    f"bytes={rng.choice((4096, 32000, 65536, 1048576))} ms={rng.randrange(100)}\n").encode()
            chunk.append(line)
            written += len(line)
            if len(chunk) >= 10000:
                out.write(b"".join(chunk))
                chunk = []
        out.write(b"".join(chunk))
        out.truncate(size)
    Path(f"{path}.part").replace(path)
    Path(f"{path}.sha256").unlink(missing_ok=True)
    return path


def disk_bytes(running, digest: str) -> list:
    """Sizes of the shard files (by shard index) of the object whose ``Digest`` is ``digest``."""
    key = base64.urlsafe_b64encode(base64.b64decode(digest.removeprefix("SHA-256="))).decode().rstrip("=")
    files = [f for d in running.data_servers for f in (Path(d.root) / "objects").glob(f"{key}.*")]
    if len(files) != 6:
        print(f"   note: {len(files)} shard files for {key} (expected 6)")
    return [f.stat().st_size for f in sorted(files, key=lambda f: int(f.name.split(".")[1]))]


if __name__ == "__main__":
    main()
