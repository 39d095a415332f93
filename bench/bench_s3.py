"""The S3 API against the book API on final/ (issue 20): big transfers, 4 KiB objects, listing.

One final/ cluster (port 22345); the book's /objects/ API and S3 (path style, SigV4, user objstore) on the
same two api servers, measured in turn in one run; CPU in % of one core (client: curl, or this process).
1. 256 MiB PUT and GET through api server 1, 3 rounds, book and S3 alternating (which goes first too), new
   random content for every PUT. Book API: curl (PUT with ``Digest: SHA-256=``), GET to /dev/null. S3:
   boto3 (s3v4, path style, no retries, no multipart, checksums only when required: one signed PUT, not
   aws-chunked), ``put_object`` of the open file (botocore hashes it for ``x-amz-content-sha256`` first,
   inside the time), ``get_object`` read in 8 MiB pieces and dropped. Best and median MB/s.
2. 4 KiB objects, 16 clients over both api servers (``loadgen.py``): new objects PUT for 15 s, then GETs
   of random ones for 15 s; book API, then S3. The client stays cheap: S3 requests are signed in advance
   (botocore's ``S3SigV4Auth`` on an ``AWSRequest``: host, x-amz-date, x-amz-content-sha256; valid 15
   minutes), as many per api server as the book API served in all: a run only writes prepared bytes.
3. ListObjectsV2: bucket ``bench-list`` filled with 100,000 keys of 16 bytes (one content: stored once,
   the fill is mostly metadata) by S3 PutObject from 32 clients over both api servers, signed in batches
   of 10,000 just before they are sent (a PUT not answered 200 is sent again once the cluster is ready,
   as common.retrying does; the waits are not in the fill's time); then 50 requests (after 5 warm-up
   ones), max-keys=1000, start-after a random key of the middle half, signed in advance, on one keep-alive
   connection: p50 and p99 (and of 10 through boto3, its XML parsing included).
Targets (issue 20): S3 256 MiB PUT and GET >= 0.8 x book API (best); S3 4 KiB PUT (and GET) objects/s
at 16 clients >= 0.7 x book API; ListObjectsV2 of 1,000 keys of 100,000: p50 <= 50 ms.
Run: python bench/bench_s3.py [--quick]    (--quick: 32 MiB, 2 rounds, 5 s, 5,000 keys)
"""
import argparse
import asyncio
import base64
import hashlib
import os
import random
import time
from collections import deque

import boto3
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import BotoCoreError, ClientError

from common import (RATE_HEADERS, REDONE, MiB, Transfer, Unavailable, banner, cluster, cpu_seconds, curl, digest_of,
                    load, median, payload, percentile, rate_row, redone, retrying, table, verdict, wait_ready, worker)
from loadgen import Result, _answer, request, run

ACCESS, SECRET, REGION = "objstore", "objstore-secret", "us-east-1"
BUCKET, LISTED = "bench", "bench-list"
SIGNER = S3SigV4Auth(Credentials(ACCESS, SECRET), "s3", REGION)
SMALL, CLIENTS, FILL_CLIENTS, BATCH = 4096, 16, 32, 10_000
TAGS = "abcdefgh"                      # payload files: book round r TAGS[2r], S3 round r TAGS[2r + 1]
FULL = {"size": 256 * MiB, "rounds": 3, "seconds": 15.0, "keys": 100_000}
QUICK = {"size": 32 * MiB, "rounds": 2, "seconds": 5.0, "keys": 5_000}
LATE = [0]                             # S3 requests signed during a run (the prepared ones ran out)
CONFIG = Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"total_max_attempts": 1},
                request_checksum_calculation="when_required", response_checksum_validation="when_required",
                connect_timeout=10, read_timeout=300)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="32 MiB, 2 rounds, 5 s, 5,000 keys")
    p = QUICK if parser.parse_args().quick else FULL
    mib = p["size"] // MiB
    banner(f"S3 vs book API on final/: {mib} MiB PUT/GET, 4 KiB at {CLIENTS} clients, "
           f"ListObjectsV2 of {p['keys']:,} keys")
    with cluster(9) as running:
        apis = [a.address for a in running.api_servers]
        s3 = client(apis[0])
        for bucket in (BUCKET, LISTED):
            s3.create_bucket(Bucket=bucket)
        data = [worker(d.pid) for d in running.data_servers]
        big = big_objects(running, s3, p["size"], p["rounds"], {"api": worker(running.api_servers[0].pid),
                                                                   "data": data})
        small = small_objects(apis, p["seconds"], {"api": [worker(a.pid) for a in running.api_servers],
                                                   "data": data})
        p50 = listing(running, apis, s3, p["keys"])
    verdict(f"S3 / book {mib} MiB PUT (best)", big["PUT"], ">=", 0.8)
    verdict(f"S3 / book {mib} MiB GET (best)", big["GET"], ">=", 0.8)
    verdict("S3 / book 4 KiB PUT objects/s at 16 clients", small["PUT"], ">=", 0.7)
    verdict("S3 / book 4 KiB GET objects/s at 16 clients", small["GET"], ">=", 0.7)
    verdict(f"ListObjectsV2 of 1,000 keys of {p['keys']:,}, p50", p50, "<=", 50, " ms")
    redone()
    print(f"   after: {load()}")


def not_ok(result: Result) -> str:
    """The answers other than 200, by status (0: the connection broke)."""
    return ", ".join(f"{count} x {status}" for status, count in sorted(result.statuses.items()) if status != 200) or "0"


def client(api: str):
    return boto3.client("s3", endpoint_url=f"http://{api}", region_name=REGION, aws_access_key_id=ACCESS,
                        aws_secret_access_key=SECRET, config=CONFIG)


def signed(method: str, target: str, path: str, body: bytes = b"", query: str = "") -> bytes:
    """The bytes of a request to ``target`` signed now (SigV4 in the header; valid 15 minutes)."""
    path += f"?{query}" if query else ""
    aws = AWSRequest(method, f"http://{target}{path}", data=body, headers={})
    SIGNER.add_auth(aws)
    return request(method, path, target, body, dict(aws.headers))


# ---------------------------------------------------------------- 1. 256 MiB through one api server

def big_objects(running, s3, size: int, rounds: int, watch: dict) -> dict:
    """Print the table of part 1; S3 / book best MB/s, PUT and GET."""
    api = running.api_servers[0].address
    runs = {(path, op): [] for path in ("book", "S3") for op in ("PUT", "GET")}
    for r in range(rounds):
        for path in ("book", "S3") if r % 2 == 0 else ("S3", "book"):
            upload = payload(size, TAGS[2 * r + (path == "S3")])
            for op in ("PUT", "GET"):
                book = lambda: curl(op, f"http://{api}/objects/big-{r}", upload if op == "PUT" else None,  # noqa
                                    [f"Digest: {digest_of(upload)}"] if op == "PUT" else [], watch)
                runs[path, op].append(retrying(running, book if path == "book" else
                                               lambda: boto3_transfer(s3, op, f"big-{r}", upload, watch)))
    table([f"{size // MiB} MiB via api 1", *RATE_HEADERS[:-1], "client CPU%"],
          [rate_row(f"{path} {op}", runs[path, op]) for op in ("PUT", "GET") for path in ("book", "S3")])
    rates = {key: [t.mb_s for t in transfers] for key, transfers in runs.items()}
    for op in ("PUT", "GET"):
        print(f"   S3 / book {op}: best {max(rates['S3', op]) / max(rates['book', op]):.2f}, "
              f"median {median(rates['S3', op]) / median(rates['book', op]):.2f}")
    return {op: max(rates["S3", op]) / max(rates["book", op]) for op in ("PUT", "GET")}


def boto3_transfer(s3, op: str, key: str, upload, watch: dict) -> Transfer:
    """One timed put_object (of the open file) or get_object (read in 8 MiB pieces, dropped)."""
    watch = {**watch, "curl": os.getpid()}
    os.sync()                               # as common.curl: no write-back left from the transfer before
    before = {label: cpu_seconds(pid) for label, pid in watch.items()}
    start, first, nbytes = time.perf_counter(), None, 0
    try:
        if op == "PUT":
            with open(upload, "rb") as body:
                s3.put_object(Bucket=BUCKET, Key=key, Body=body)
            nbytes = upload.stat().st_size
        else:
            body = s3.get_object(Bucket=BUCKET, Key=key)["Body"]
            first = time.perf_counter() - start         # the answer's headers are in
            while chunk := body.read(8 * MiB):
                nbytes += len(chunk)
    except (BotoCoreError, ClientError) as failure:
        raise Unavailable(f"boto3 {op} {key}: {failure}"[:200]) from None
    seconds = time.perf_counter() - start
    if nbytes != upload.stat().st_size:
        raise Unavailable(f"boto3 {op} {key}: {nbytes} bytes")
    return Transfer(seconds, nbytes, first,
                    {label: 100 * (cpu_seconds(pid) - before[label]) / seconds for label, pid in watch.items()})


# ---------------------------------------------------------------- 2. 4 KiB objects at 16 clients

def small_objects(apis: list, seconds: float, watch: dict) -> dict:
    book_names, s3_keys = [], []

    def book_put(n, target):
        body, name = os.urandom(SMALL), f"small-{n}-{os.urandom(4).hex()}"
        book_names.append(name)
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        return request("PUT", f"/objects/{name}", target, body, {"Digest": f"SHA-256={digest}"})

    def s3_put(n, target):
        key = f"small/{n}-{os.urandom(4).hex()}"
        return key, signed("PUT", target, f"/{BUCKET}/{key}", os.urandom(SMALL))

    s3_get = lambda n, target: (None, signed("GET", target, f"/{BUCKET}/{random.choice(s3_keys)}"))  # noqa: E731
    book_get = lambda n, target: request("GET", f"/objects/{random.choice(book_names)}", target)   # noqa: E731

    warm = run(apis, book_put, CLIENTS, 2)                        # warm-up: connections, pools
    run(apis, prepared(apis, s3_put, warm.ok + 100, s3_keys)[0], CLIENTS, 2)
    LATE[0] = 0
    found = {"book PUT": metered(apis, book_put, 0.0, seconds, watch)}      # S3: as many per server as the book API
    found["S3 PUT"] = metered(apis, *prepared(apis, s3_put, found["book PUT"].ok + 100, s3_keys), seconds, watch)
    found["book GET"] = metered(apis, book_get, 0.0, seconds, watch)         # served on both: twice its rate in all
    found["S3 GET"] = metered(apis, *prepared(apis, s3_get, found["book GET"].ok + 100, []), seconds, watch)
    table(["4 KiB, 16 clients", "objects/s", "p50 ms", "p99 ms", "client CPU%", "api CPU%", "data CPU%",
           "signed before s", "not 200"],
          [[label, r.rate, 1000 * percentile(r.latencies, 50), 1000 * percentile(r.latencies, 99),
            *(r.cpu[k] for k in ("client", "api", "data")), r.signing, not_ok(r)]
           for label, r in sorted(found.items(), key=lambda item: item[0][-3:] != "PUT")])
    ratio = {op: found[f"S3 {op}"].rate / found[f"book {op}"].rate for op in ("PUT", "GET")}
    print(f"   S3 / book: PUT {ratio['PUT']:.2f}, GET {ratio['GET']:.2f}; S3 requests signed during the runs "
          f"(the prepared ones ran out): {LATE[0]}")
    return ratio


def prepared(apis: list, make, count: int, sent: list):
    """A loadgen ``make`` handing out ``count`` requests per api server signed in advance by ``make``
    (which answers (key, bytes)); the keys of those handed out go to ``sent``. And the seconds it took."""
    start = time.perf_counter()
    pools = {target: deque(make(n, target) for n in range(count)) for target in apis}
    taken = iter(range(count, 1 << 62))

    def take(n, target):
        LATE[0] += not pools[target]
        key, data = pools[target].popleft() if pools[target] else make(next(taken), target)
        sent.append(key)
        return data
    return take, time.perf_counter() - start


def metered(apis: list, make, signing: float, seconds: float, watch: dict) -> Result:
    """loadgen's run, with the CPU each process used meanwhile (% of one core; client: this process)."""
    watch = {**watch, "client": os.getpid()}
    before = {label: cpu_seconds(pid) for label, pid in watch.items()}
    result = run(apis, make, CLIENTS, seconds)
    result.cpu = {label: 100 * (cpu_seconds(pid) - before[label]) / result.seconds for label, pid in watch.items()}
    result.signing = signing
    return result


# ---------------------------------------------------------------- 3. ListObjectsV2 of a big bucket

def listing(running, apis: list, s3, keys: int) -> float:
    """Fill the bucket, then print the latencies of ListObjectsV2; their p50 in ms."""
    name = lambda n: f"key-{n:06d}"                                       # noqa: E731
    fill, aside, start, redo, missing = Result(), 0.0, time.perf_counter(), 0, 0
    for first in range(0, keys, BATCH):                 # signed in batches: a signature lives 15 minutes
        names = [name(n) for n in range(first, min(keys, first + BATCH))]
        for attempt in range(3):                        # those not stored are sent again (twice at most),
            began = time.perf_counter()                 # once the cluster is ready (the tests restart it)
            if attempt:
                REDONE.append(f"{time.strftime('%H:%M:%S')} fill: {len(names)} PUTs not answered 200")
                wait_ready(running)
                redo += len(names)
            queues = {target: deque((key, signed("PUT", target, f"/{LISTED}/{key}", b"sixteen bytes..."))
                                    for key in names[i::len(apis)]) for i, target in enumerate(apis)}
            aside, names = aside + time.perf_counter() - began, []
            asyncio.run(drain(queues, FILL_CLIENTS, fill, names))
            if not names:
                break
        missing += len(names)
    fill.seconds = time.perf_counter() - start - aside
    print(f"   fill: {fill.ok:,} keys of 16 bytes in {fill.seconds:.1f} s ({fill.rate:.0f} PUT/s at {FILL_CLIENTS} "
          f"clients), signing (and waiting) {aside:.1f} s besides; not 200: {not_ok(fill)}; sent again {redo}, "
          f"missing {missing}")
    starts = [random.randrange(keys // 4, keys * 3 // 4) for _ in range(65)]
    pages = deque((None, signed("GET", apis[0], f"/{LISTED}", query=f"list-type=2&max-keys=1000&start-after={name(n)}"))
                  for n in starts[:55])
    asyncio.run(drain({apis[0]: deque(pages.popleft() for _ in range(5))}, 1, Result()))     # warm-up
    timed, through_boto3 = Result(), []
    asyncio.run(drain({apis[0]: pages}, 1, timed))
    for n in starts[55:]:                               # through boto3, with a check of the pages
        began = time.perf_counter()
        page = s3.list_objects_v2(Bucket=LISTED, MaxKeys=1000, StartAfter=name(n))
        through_boto3.append(time.perf_counter() - began)
        if [c["Key"] for c in page["Contents"]] != [name(k) for k in range(n + 1, n + 1001)]:
            print(f"   ListObjectsV2 after {name(n)}: {page['KeyCount']} keys from {page['Contents'][0]['Key']}")
    table([f"ListObjectsV2 1,000 of {keys:,}", "requests", "p50 ms", "p99 ms", "not 200"],
          [["raw, signed in advance", len(timed.latencies), 1000 * percentile(timed.latencies, 50),
            1000 * percentile(timed.latencies, 99), not_ok(timed)],
           ["boto3 list_objects_v2", len(through_boto3), 1000 * percentile(through_boto3, 50),
            1000 * percentile(through_boto3, 99), "0"]])
    return 1000 * percentile(timed.latencies, 50)


async def drain(queues: dict, clients: int, result: Result, failed: list | None = None) -> None:
    """Send every prepared (key, request) of ``queues`` (target -> deque), ``clients`` connections in all;
    the keys of those not answered 200 go to ``failed``."""
    async def one(target):
        host, port = target.rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        while queues[target]:
            began = time.perf_counter()
            key, data = queues[target].popleft()
            writer.write(data)
            status = await _answer(reader)
            if status != 200 and failed is not None:
                failed.append(key)
            result.latencies.append(time.perf_counter() - began)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status == 0:       # broken: a new connection
                writer.close()
                reader, writer = await asyncio.open_connection(host, int(port))
        writer.close()
    await asyncio.gather(*(one(target) for target in queues for _ in range(max(1, clients // len(queues)))))


if __name__ == "__main__":
    main()
