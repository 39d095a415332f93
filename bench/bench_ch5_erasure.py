"""Chapter 5 erasure coding: a 256 MiB object through the api, against chapter 4's path in the same run.

Both clusters run side by side (chapter 5 on 22345, chapter 4 on 22346) and alternate. Each round a
new random 256 MiB content (chapter 4 and 5 deduplicate): PUT (with Content-Length and
``Digest: SHA-256=<base64>``) then GET through the first api server (curl, MB/s, time to the first
byte of the GET), and the peak RSS of each api's gunicorn worker during those transfers.
Targets (issue 6): PUT >= 150 MB/s, GET >= 400 MB/s, first byte <= 50 ms, api peak RSS <= 150 MB.
Run: python bench/bench_ch5_erasure.py
"""
from common import (PORT, RATE_HEADERS, MiB, RssSampler, banner, cluster, curl, digest_of, load, median,
                    payload, rate_row, redone, retrying, table, verdict, worker)

SIZE = 256 * MiB
TAGS = "ab"         # one 256 MiB content per round


def main() -> None:
    banner("chapter 5 vs chapter 4: 256 MiB PUT/GET through the api, first byte, api RSS")
    files = [payload(SIZE, tag) for tag in TAGS]
    with cluster(5) as ch5, cluster(4, port=PORT + 1) as ch4:
        clusters = {"chapter 5": ch5, "chapter 4": ch4}
        runs = {(label, op): [] for label in clusters for op in ("PUT", "GET")}
        peaks = {(label, op): [] for label in clusters for op in ("PUT", "GET")}
        for n, path in enumerate(files):
            digest = f"Digest: {digest_of(path)}"
            for label, running in clusters.items():
                url = f"http://{running.api_servers[0].address}/objects/big-{n}"
                api = worker(running.api_servers[0].pid)
                watch = {"api": api, "data": [worker(d.pid) for d in running.data_servers]}
                for op, upload in (("PUT", path), ("GET", None)):
                    def measure():
                        with RssSampler(api) as rss:
                            transfer = curl(op, url, upload, [digest] if upload else [], watch)
                        return transfer, max(rss.peak, rss.hwm)
                    transfer, peak = retrying(running, measure)
                    runs[label, op].append(transfer)
                    peaks[label, op].append(peak)
    rows = [rate_row(f"{label} {op}", runs[label, op]) + [max(peaks[label, op])]
            for op in ("PUT", "GET") for label in clusters]
    table(["256 MiB via api", *RATE_HEADERS, "api peak RSS MB"], rows)
    best = {op: max(t.mb_s for t in runs["chapter 5", op]) for op in ("PUT", "GET")}
    for op in ("PUT", "GET"):
        ratio = best[op] / max(t.mb_s for t in runs["chapter 4", op])
        print(f"   chapter 5 / chapter 4 {op} (best): {ratio:.2f}")
    first = median([1000 * t.first_byte for t in runs["chapter 5", "GET"]])
    rss = max(max(peaks["chapter 5", op]) for op in ("PUT", "GET"))
    verdict("chapter 5 256 MiB PUT (best)", best["PUT"], ">=", 150, " MB/s")
    verdict("chapter 5 256 MiB GET (best)", best["GET"], ">=", 400, " MB/s")
    verdict("chapter 5 GET first byte (median)", first, "<=", 50, " ms")
    verdict("chapter 5 api peak RSS", rss, "<=", 150, " MB")
    redone()
    print(f"   after: {load()}")


if __name__ == "__main__":
    main()
