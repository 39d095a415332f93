"""Events (issue 23): the api's S3 PUT rate with events on against off, and the notifier's delivery rate.

One final/ cluster (port 22345, its own vhost). The bucket has a notification configuration sending
every ObjectCreated event to a webhook of this process (a keep-alive HTTP/1.1 server on 127.0.0.1).
1. 4 KiB S3 PUTs (signed in advance, ``bench_s3``) by 16 clients over both api servers for ``--seconds``,
   in rounds that alternate the api servers' ``EVENTS=on`` and ``EVENTS=off`` (the api servers are
   restarted between rounds; data servers, broker and index stay): objects/s, p50 and p99. With events
   on, each PUT's event goes to the broker within 50 ms, persistent, in a transaction of the api
   server's outbox (the answer does not wait for it); no notifier runs meanwhile, so the events wait
   in its queue, which the api servers declare (part 2 delivers them). The inbox an earlier run left
   in the vhost is deleted first.
2. The notifier started on that backlog (every event of part 1's "on" rounds, keys all distinct):
   events POSTed per second, from its first delivery to its last, and its CPU.
Targets (issue 23): PUT objects/s with events on >= 0.9 x off (median of the rounds); the notifier's
rate is reported (no target).
Run: python bench/bench_events.py [--seconds 10] [--rounds 3]
"""
import argparse
import http.server
import os
import subprocess
import sys
import threading
import time

import boto3
import pika
from botocore.config import Config

from bench_s3 import ACCESS, CLIENTS, REGION, SECRET, metered, not_ok, prepared, signed
from loadgen import run
from final.events import records
from common import (REPO, banner, cluster, cpu_seconds, load, median, percentile, redone, table, verdict, wait_ready,
                    worker)

BUCKET, SMALL = "bench-events", 4096


class Hook(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"                    # keep-alive, as the notifier's sessions are

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.server.times.append(time.perf_counter())
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def webhook() -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    server.daemon_threads, server.times = True, []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def notifier(running):
    env = {**os.environ, **running.env, "PYTHONPATH": str(REPO), "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}
    return subprocess.Popen([sys.executable, "-m", "final.notifier"], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def drop_inbox(url: str) -> None:
    """Delete the notifier's inbox an earlier run left (with its events, and its bindings then)."""
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        connection.channel().queue_delete(records.INBOX)
    finally:
        connection.close()


def broker() -> list:
    """RabbitMQ's Erlang VM (its CPU is the events' cost too), when this user may read it."""
    found = subprocess.run(["pgrep", "-f", "beam.smp"], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found[:1]]


def per_put(result) -> list:
    """CPU milliseconds per PUT answered: the api servers', the broker's, and all the cluster's with this client."""
    ms = lambda share: 10 * share / result.rate if result.rate else float("nan")     # noqa: E731  (% of a core)
    return [ms(result.cpu["api"]), ms(result.cpu["broker"]), ms(sum(result.cpu.values()))]


def restart_apis(running, events: str) -> None:
    running.env["EVENTS"] = events
    for api in running.api_servers:
        running.stop(api)
        running.start(api)
    wait_ready(running)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    banner(f"events: S3 4 KiB PUT rate with events on and off ({args.rounds} rounds each), notifier rate")
    hook = webhook()
    with cluster(9, WEBHOOK_ALLOWED_HOSTS="127.0.0.1", S3_ACCESS_KEY=ACCESS, S3_SECRET_KEY=SECRET) as running:
        apis = [a.address for a in running.api_servers]
        s3 = boto3.client("s3", endpoint_url=f"http://{apis[0]}", region_name=REGION, aws_access_key_id=ACCESS,
                          aws_secret_access_key=SECRET, config=Config(s3={"addressing_style": "path"}))
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={"TopicConfigurations": [
            {"Id": "bench", "TopicArn": f"http://127.0.0.1:{hook.server_address[1]}/events",
             "Events": ["s3:ObjectCreated:*"]}]})
        drop_inbox(running.env["RABBITMQ_SERVER"])
        keys: list = []

        def put(n, target):
            key = f"e/{n}-{os.urandom(6).hex()}"
            return key, signed("PUT", target, f"/{BUCKET}/{key}", os.urandom(SMALL))

        runs, warmed = {"on": [], "off": []}, 0
        for r in range(args.rounds):
            for events in (("on", "off") if r % 2 == 0 else ("off", "on")):
                restart_apis(running, events)
                from_here = len(keys)
                warm = run(apis, prepared(apis, put, 300, keys if events == "on" else [])[0], CLIENTS, 2)
                warmed += warm.ok if events == "on" else 0
                make, signing = prepared(apis, put, int(args.seconds * 400), keys)
                watch = {"api": [worker(a.pid) for a in running.api_servers],
                         "data": [worker(d.pid) for d in running.data_servers], "broker": broker()}
                result = metered(apis, make, signing, args.seconds, watch)
                if events == "off":
                    del keys[from_here:]
                runs[events].append(result)
        table(["S3 PUT 4 KiB, 16 clients", "round", "objects/s", "p50 ms", "p99 ms", "api CPU ms/PUT",
               "broker CPU ms/PUT", "all CPU ms/PUT", "not 200"],
              [[f"events {e}", n + 1, r.rate, 1000 * percentile(r.latencies, 50), 1000 * percentile(r.latencies, 99),
                *per_put(r), not_ok(r)] for e in ("on", "off") for n, r in enumerate(runs[e])])
        on, off = median([r.rate for r in runs["on"]]), median([r.rate for r in runs["off"]])
        print(f"   median objects/s: events on {on:.1f}, off {off:.1f}: on / off {on / off:.3f}")
        expected = sum(r.ok for r in runs["on"]) + warmed          # PUTs answered 200 while events were on
        backlog_before = len(hook.times)
        started = time.perf_counter()
        delivering = notifier(running)
        try:
            last_count, quiet_since = -1, time.perf_counter()
            while time.perf_counter() - quiet_since < 10:
                if len(hook.times) != last_count:
                    last_count, quiet_since = len(hook.times), time.perf_counter()
                time.sleep(0.5)
            cpu = cpu_seconds(delivering.pid)
        finally:
            delivering.terminate()
            delivering.wait(10)
        times = hook.times[backlog_before:]
        span = times[-1] - times[0] if len(times) > 1 else float("nan")
        rate = (len(times) - 1) / span if len(times) > 1 else 0.0
        print(f"   notifier: {len(times):,} events delivered (of {expected:,} PUTs answered with events on) "
              f"in {span:.1f} s from the first to the last: {rate:.0f} events/s; first after "
              f"{times[0] - started:.1f} s (start-up); notifier CPU {cpu:.1f} s = {100 * cpu / span:.0f}% of a core")
    verdict("S3 PUT objects/s, events on / off (median)", on / off, ">=", 0.9)
    redone()
    print(f"   after: {load()}")


if __name__ == "__main__":
    main()
