"""``python -m chapter08_maintenance.object_scanner`` (book §4.8 ``objectScanner``, fixed per D16).

Env: ``STORAGE_ROOT`` of one data server, ``ES_SERVER``, ``RABBITMQ_SERVER``. The scanner listens
to heartbeats like an api server (the book's knew no live server, so it could not place a missing
shard), then checks each object this server holds a shard of, once (not once per shard): every
shard is read where it lives (the data server checks each block's CRC and removes a corrupt
shard), the object is decoded (and unpacked, if chapter 7 gzipped it before encoding) and its
SHA-256 compared with the canonical hash, and each shard that is missing, corrupt or short is
rebuilt from four others and written through temp + commit, to its own server if alive (a server
restarted empty included), else to a live server that holds no shard of the object. Then every
content a version refers to is located: one with fewer than four shards left anywhere (none at
all included) is reported damaged (exit 1), and one stored in both forms (chapter 7) is reported.
"""
import hashlib
import logging
import os
import time
from dataclasses import dataclass, field

from chapter01_single.errors import StorageError
from chapter03_metadata.common import digest
from chapter05_erasure.common import rs
from chapter05_erasure.common.shards import RSGetStream
from chapter08_maintenance.api_server import app as api
from chapter08_maintenance.api_server.store import Objects
from chapter08_maintenance.common.es import MaintenanceMetadata
from chapter08_maintenance.common.tool import run
from chapter08_maintenance.delete_orphan_object import shard_keys

log = logging.getLogger("object_scanner")


class ScanStream(RSGetStream):
    """Chapter 5's GET stream, with repairs that never give up and are committed before it ends."""
    background_repairs = False
    repair_wait = 60.0


class ScanObjects(Objects):
    """The api's pipeline (packed objects are unpacked) reading with ``ScanStream``."""
    get_stream = ScanStream


class ScanParts(api.Parts):
    """What the scanner shares with an api server: membership, locate and the pipeline."""
    objects_class = ScanObjects


@dataclass
class Report:
    checked: int = 0
    repaired: int = 0
    damaged: list = field(default_factory=list)
    skipped: int = 0
    both_forms: int = 0


class Scanner:
    """One run of the scanner on one data server's objects (final/ subclasses it)."""
    parts_class = ScanParts

    def __init__(self, config: dict, metadata: MaintenanceMetadata):
        self.config, self.metadata, self.report = config, metadata, Report()
        self.parts = self.parts_class(config, metadata=metadata)

    def run(self) -> bool:
        join_cluster(self.parts)
        started, report = time.monotonic(), self.report
        for key in sorted(self.keys()):
            try:
                self.scan(key)
            except StorageError as error:          # e.g. fewer than four shards left: report, go on
                log.error("%s: cannot be checked: %s", key, error)
                report.damaged.append(key)
        self.check_everywhere()
        elapsed = time.monotonic() - started
        log.info("done: %d objects checked in %.1f s (%.1f objects/s), %d shards rebuilt, %d skipped, "
                 "%d stored in both forms, %d damaged%s", report.checked, elapsed,
                 report.checked / elapsed if elapsed else 0, report.repaired, report.skipped, report.both_forms,
                 len(report.damaged), f": {report.damaged}" if report.damaged else "")
        self.parts.locator.stop()
        return not report.damaged

    def keys(self):
        """The keys this data server holds."""
        return shard_keys(os.path.join(self.config["STORAGE_ROOT"], "objects"))

    def record(self, key: str):
        """A version whose content is ``key``'s, or None (counted as skipped)."""
        h = digest.parse(key)
        record = self.metadata.record_of(h) if h else None
        if record is None:
            log.info("%s: no version references it (left to delete_orphan_object)", key)
            self.report.skipped += 1
        return record

    def scan(self, key: str) -> None:
        """Check one object (if a version refers to it)."""
        record = self.record(key)
        if record is not None:
            self.report.checked += 1
            self.check(key, record)

    def check(self, key: str, record) -> None:
        """Read the object whole; rebuild its shards; a second pass rebuilds shards that failed late."""
        report, objects = self.report, self.parts.objects
        located = objects.locator.locate(key)
        if located and getattr(located, "packed", None):
            log.warning("%s: stored twice, plain and packed (uploaded both ways at once); each form is "
                        "read whole, never mixed", key)
            report.both_forms += 1
        for attempt in range(2):
            body = objects.open(record)                # unpacked, if chapter 7 gzipped it first
            sha = hashlib.sha256()
            for part in body.chunks:
                sha.update(part)
            stream = body.source
            report.repaired += len(stream.repaired)
            for index in stream.repaired:
                log.info("%s: shard %d rebuilt", key, index)
            if digest.encode(sha.digest()) != record.hash:
                log.error("%s: the object decodes to another hash: damaged", key)
                report.damaged.append(key)
                return
            problems = set(range(rs.ALL_SHARDS)) - set(stream.locations) | set(stream.dropped)
            if problems <= set(stream.repaired):      # else one more pass: a shard failed after its start
                return

    def readable(self, located) -> int:
        """How many pieces of one form are left: four shards make content readable."""
        return max(len(located), len(getattr(located, "packed", {})))

    def enough(self, located) -> bool:
        return self.readable(located) >= rs.DATA_SHARDS

    def check_everywhere(self) -> None:
        """Every content a version refers to must be readable somewhere: one with no shard left at
        all is on no server's disk, so no per-server pass would ever see it."""
        for h in self.metadata.hashes():
            key = digest.key(h)
            self.check_located(key, self.parts.locator.locate(key))

    def check_located(self, key: str, located) -> None:
        """What the run makes of where a referenced content's pieces are."""
        if not self.enough(located) and key not in self.report.damaged:
            log.error("%s: only %d shard(s) of it are left anywhere: damaged, versions cannot be read", key,
                      self.readable(located))
            self.report.damaged.append(key)


def object_scanner(config: dict, metadata: MaintenanceMetadata) -> bool:
    return Scanner(config, metadata).run()


def join_cluster(parts: ScanParts) -> ScanParts:
    """Listen to heartbeats until the set of live data servers settles."""
    for worker in parts.workers():          # the heartbeat listener and the locator
        worker.start()
    config = parts.config
    time.sleep(min(2 * config["HEARTBEAT_INTERVAL"] + 0.2, config["HEARTBEAT_EXPIRY"]))
    log.info("live data servers: %s", parts.servers.live())
    return parts


if __name__ == "__main__":
    run(object_scanner)
