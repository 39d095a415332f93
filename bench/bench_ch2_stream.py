"""Chapter 2 streaming: a 256 MiB object through an api server against straight to one data server.

Measures PUT and GET MB/s both ways (curl, best and median of 3, api and direct interleaved), the
CPU each process used meanwhile (% of one core), and the peak RSS of the api's worker process (the
gunicorn child that serves requests; the master is reported apart) while 1 GiB streams through it.
With ``--baseline REV`` the api paths of commit REV run beside, on a second cluster, interleaved.
Targets (issue 3): api >= 0.8 x direct both ways; api peak RSS <= 150 MB. Issue 17: api PUT >= 1.5 x
the baseline's.
Run: python bench/bench_ch2_stream.py [--baseline REV]   (BENCH_COLD=1: memory not warmed first)
"""
import argparse
import contextlib

from common import (PORT, RATE_HEADERS, MiB, RssSampler, banner, checkout, cluster, curl, load, median, payload,
                    rate_row, redone, retrying, rss_mb, table, verdict, worker)

SIZE = 256 * MiB
BIG = 1024 * MiB
ROUNDS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", metavar="REV", help="also measure commit REV's api paths, interleaved")
    args = parser.parse_args()
    banner("chapter 2: 256 MiB through the api vs direct to a data server")
    payload(SIZE)
    big = payload(BIG)
    with contextlib.ExitStack() as stack:
        c = stack.enter_context(cluster(2))
        paths = {"api": c.api_servers[0], "direct": c.data_servers[0]}
        if args.baseline:
            old = stack.enter_context(cluster(2, PORT + 1, checkout(args.baseline)))
            paths[f"api {args.baseline}"] = old.api_servers[0]
        watch = {"api": worker(c.api_servers[0].pid), "data": [worker(d.pid) for d in c.data_servers]}
        runs = measure(c, paths, watch)
        report(runs, args.baseline)
        rss = retrying(c, lambda: stream_big(c.api_servers[0], big, watch["api"]))
        master = rss_mb(c.api_servers[0].pid)
        print(f"   the api's gunicorn master (it only supervises) holds {master:.1f} MB more: "
              f"worker peak + master = {rss + master:.1f} MB")
    redone()
    verdict("api peak RSS streaming 1 GiB", rss, "<=", 150, " MB")
    print(f"   after: {load()}")


def measure(c, paths: dict, watch: dict) -> dict:
    """Each path's PUT then GET of the 256 MiB payload, ROUNDS times, the paths interleaved."""
    small = payload(SIZE)
    runs = {f"{verb} {path}": [] for path in paths for verb in ("PUT", "GET")}
    for n in range(ROUNDS):
        for path, server in paths.items():
            url = f"http://{server.address}/objects/{path.replace(' ', '-')}-{n}"
            runs[f"PUT {path}"].append(retrying(c, lambda: curl("PUT", url, small, watch=watch)))
            runs[f"GET {path}"].append(retrying(c, lambda: curl("GET", url, watch=watch)))
    return runs


def report(runs: dict, baseline: str | None) -> None:
    table(["256 MiB", *RATE_HEADERS], [rate_row(key, transfers) for key, transfers in runs.items()])
    for verb in ("PUT", "GET"):
        verdict(f"{verb} api/direct (best; median {ratio(runs, verb, 'direct', median):.2f})",
                ratio(runs, verb, "direct", max), ">=", 0.8)
    if baseline:
        for verb in ("PUT", "GET"):
            print(f"   {verb} api / api {baseline}: best {ratio(runs, verb, f'api {baseline}', max):.2f}, "
                  f"median {ratio(runs, verb, f'api {baseline}', median):.2f}")
        verdict(f"PUT api / api {baseline} (median)", ratio(runs, "PUT", f"api {baseline}", median), ">=", 1.5)


def ratio(runs: dict, verb: str, other: str, pick) -> float:
    return pick([t.mb_s for t in runs[f"{verb} api"]]) / pick([t.mb_s for t in runs[f"{verb} {other}"]])


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
