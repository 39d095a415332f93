"""Chapter 2 streaming: a 256 MiB object through an api server against straight to one data server.

Measures PUT and GET MB/s both ways (curl, best and median of 3, api and direct interleaved), the
CPU each process used meanwhile (% of one core), and the peak RSS of the api's worker process (the
gunicorn child that serves requests; the master is reported apart) while 1 GiB streams through it.
Targets (issue 3): api >= 0.8 x direct both ways; api peak RSS <= 150 MB.
Run: python bench/bench_ch2_stream.py
"""
from common import (RATE_HEADERS, MiB, RssSampler, banner, cluster, curl, load, median, payload, rate_row,
                    redone, retrying, rss_mb, table, verdict, worker)

SIZE = 256 * MiB
BIG = 1024 * MiB
ROUNDS = 3


def main() -> None:
    banner("chapter 2: 256 MiB through the api vs direct to a data server")
    small, big = payload(SIZE), payload(BIG)
    with cluster(2) as c:
        api, data = c.api_servers[0], c.data_servers[0]
        watch = {"api": worker(api.pid), "data": [worker(d.pid) for d in c.data_servers]}
        runs = {key: [] for key in ("PUT api", "PUT direct", "GET api", "GET direct")}
        for n in range(ROUNDS):
            for path, server in (("api", api), ("direct", data)):
                url = f"http://{server.address}/objects/{path}-{n}"
                runs[f"PUT {path}"].append(retrying(c, lambda: curl("PUT", url, small, watch=watch)))
                runs[f"GET {path}"].append(retrying(c, lambda: curl("GET", url, watch=watch)))
        report(runs)
        rss = retrying(c, lambda: stream_big(api, big, watch["api"]))
        master = rss_mb(api.pid)
        print(f"   the api's gunicorn master (it only supervises) holds {master:.1f} MB more: "
              f"worker peak + master = {rss + master:.1f} MB")
    redone()
    verdict("api peak RSS streaming 1 GiB", rss, "<=", 150, " MB")
    print(f"   after: {load()}")


def report(runs: dict) -> None:
    table(["256 MiB", *RATE_HEADERS], [rate_row(key, transfers) for key, transfers in runs.items()])
    for verb in ("PUT", "GET"):
        best = max(t.mb_s for t in runs[f"{verb} api"]) / max(t.mb_s for t in runs[f"{verb} direct"])
        mid = median([t.mb_s for t in runs[f"{verb} api"]]) / median([t.mb_s for t in runs[f"{verb} direct"]])
        verdict(f"{verb} api/direct (best; median {mid:.2f})", best, ">=", 0.8)


def stream_big(api, big, api_worker: int) -> float:
    """PUT then GET 1 GiB through the api, sampling its worker's memory; the peak in MB."""
    url = f"http://{api.address}/objects/big"
    rows, peaks = [], []
    for verb, upload in (("PUT", big), ("GET", None)):
        with RssSampler(api_worker) as rss:
            transfer = curl(verb, url, upload)
        rows.append([f"{verb} 1 GiB", transfer.mb_s, rss.start, rss.peak, rss.hwm])
        peaks.append(max(rss.peak, rss.hwm))
    table(["api worker RSS", "MB/s", "RSS before MB", "peak sampled MB", "VmHWM MB"], rows)
    return max(peaks)


if __name__ == "__main__":
    main()
