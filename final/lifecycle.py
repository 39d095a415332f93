"""``python -m final.lifecycle``: applies the buckets' lifecycle rules (issue 23), every
``LIFECYCLE_INTERVAL`` seconds, or once with ``--once``.

For each bucket with rules (``catalog.lifecycle``), for each enabled rule, on the keys under its prefix:
- ``Expiration``: a key whose current version is past due gets a tombstone (``Keys.expire``: written
  only while that version is still the newest, so a key written again meanwhile is kept, and two
  workers never both delete it), told as ``LifecycleExpiration:DeleteMarkerCreated``;
- ``NoncurrentVersionExpiration``: a version superseded long enough ago is removed for good (never
  the newest), told as ``LifecycleExpiration:Delete``; its content, referred to by nothing, goes
  with ``delete_orphan_object``;
- ``AbortIncompleteMultipartUpload``: an open upload started long enough ago is aborted (a change
  made under optimistic concurrency: a Complete that came first wins) and its parts forgotten.
Nothing else is ever deleted: a key no rule covers is not looked at. A run is idempotent; two may
run at once. Exit status 0, or 1 when a run failed (``--once``).
"""
import argparse
import logging
import signal
import sys
import threading
import time
from dataclasses import dataclass

from final import config as settings
from final.catalog import lifecycle
from final.catalog.buckets import Buckets
from final.catalog.keys import Keys
from final.catalog.uploads import Uploads
from final.events.announce import announce
from final.events.bus import EventBus
from final.ops.logs import setup_logging

log = logging.getLogger("lifecycle")
WHO = "lifecycle"                      # the events' principal


@dataclass
class Counts:
    expired: int = 0
    versions: int = 0
    aborted: int = 0


class Lifecycle:
    def __init__(self, config: dict, bus: EventBus | None = None, clock=time.time):
        self.day, self.region, self.bus, self.clock = config["LIFECYCLE_DAY_SECONDS"], config["S3_REGION"], bus, clock
        self.buckets = Buckets(config["ES_SERVER"], f"{config['ES_INDEX']}-buckets")
        self.keys = Keys(config["ES_SERVER"], config["ES_INDEX"])
        self.uploads = Uploads(config["ES_SERVER"], config["ES_INDEX"])

    def run(self) -> Counts:
        counts, run_id = Counts(), f"lifecycle-{int(self.clock())}"
        for bucket in self.buckets.all():
            for rule in lifecycle.from_json(bucket.lifecycle):
                if not rule.enabled:
                    continue
                if rule.days is not None or rule.date is not None:
                    counts.expired += self.expire(bucket, rule, run_id)
                if rule.noncurrent_days is not None:
                    counts.versions += self.drop_noncurrent(bucket, rule, run_id)
                if rule.abort_days is not None:
                    counts.aborted += self.abort(bucket, rule)
        log.info("lifecycle: %d keys expired, %d noncurrent versions removed, %d uploads aborted",
                 counts.expired, counts.versions, counts.aborted)
        return counts

    def expire(self, bucket, rule, run_id: str) -> int:
        done, after = 0, ""
        while True:
            page = self.keys.listing(bucket.name, rule.prefix, after)
            for record in page.keys:
                if rule.covers(record.name[len(bucket.name) + 1:]) and rule.expired(record.modified, self.clock(), self.day):
                    tombstone = self.keys.expire(record)
                    if tombstone is not None:
                        done += 1
                        self.tell("LifecycleExpiration:DeleteMarkerCreated", bucket, tombstone, run_id)
            if not page.truncated:
                return done
            after = page.last

    def drop_noncurrent(self, bucket, rule, run_id: str) -> int:
        done, group = 0, []
        for version in [*self.keys.all_versions(bucket.name, rule.prefix), None]:
            if group and (version is None or version.name != group[0].name):
                for older, newer in zip(group, group[1:]):       # the last one is current: kept
                    if rule.covers(older.name[len(bucket.name) + 1:]) \
                            and rule.noncurrent_expired(newer.modified, self.clock(), self.day) \
                            and self.keys.drop_version(older):
                        done += 1
                        self.tell("LifecycleExpiration:Delete", bucket, older, run_id)
                group = []
            if version is not None:
                group.append(version)
        return done

    def abort(self, bucket, rule) -> int:
        done, key_marker, id_marker = 0, "", ""
        while True:
            found, more = self.uploads.listing(bucket.name, rule.prefix, key_marker, id_marker)
            for upload in found:
                if upload.state == "open" and rule.covers(upload.key) \
                        and rule.abort_due(upload.initiated, self.clock(), self.day) \
                        and self.uploads.change(upload, state="aborted", finished=time.time()) is not None:
                    self.uploads.drop_parts(upload.upload_id)
                    done += 1
            if not more or not found:
                return done
            key_marker, id_marker = found[-1].key, found[-1].upload_id

    def tell(self, name: str, bucket, version, run_id: str) -> None:
        if self.bus is not None:
            announce(self.bus, name, bucket, version, region=self.region, request_id=run_id, user=WHO,
                     when=self.clock())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m final.lifecycle", description=__doc__.split("\n")[0])
    parser.add_argument("--once", action="store_true", help="one run, then exit (else every LIFECYCLE_INTERVAL s)")
    args = parser.parse_args(argv)
    config = settings.load()
    setup_logging(config)
    stopping = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stopping.set())
    bus = EventBus(config["RABBITMQ_SERVER"], name="lifecycle-events")
    bus.start()
    worker, ok = Lifecycle(config, bus), True
    while not stopping.is_set():
        try:
            worker.run()
            ok = True
        except Exception as error:          # the next run tries again; --once says it failed
            log.error("lifecycle run failed: %s", error, exc_info=not isinstance(error, OSError))
            ok = False
        if args.once:
            break
        stopping.wait(config["LIFECYCLE_INTERVAL"])
    if not bus.drain(10):
        log.error("lifecycle: events not confirmed by the broker within 10 s")
    bus.stop()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
