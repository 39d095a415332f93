"""``python -m chapter08_maintenance.object_scanner`` (book §4.8 ``objectScanner``, fixed per D16).

Env: ``STORAGE_ROOT`` of one data server, ``ES_SERVER``, ``RABBITMQ_SERVER``. The scanner listens
to heartbeats like an api server (the book's knew no live server, so it could not place a missing
shard), then checks each object this server holds a shard of, once (not once per shard): every
shard is read where it lives (the data server checks each block's CRC and removes a corrupt
shard), the object is decoded (and unpacked, if chapter 7 gzipped it before encoding) and its
SHA-256 compared with the canonical hash, and each shard that is missing, corrupt or short is
rebuilt from four others and written through temp + commit, to its own server if alive (a server
restarted empty included), else to a live server that holds no shard of the object.
"""
import hashlib
import logging
import os
import time
from dataclasses import dataclass, field

from chapter01_single.errors import StorageError
from chapter02_distributed.api_server.heartbeat import DataServers, HeartbeatListener
from chapter03_metadata.common import digest
from chapter05_erasure.api_server.locate import Locator
from chapter05_erasure.api_server.objects import repair_target
from chapter05_erasure.common import rs
from chapter05_erasure.common.shards import RSGetStream
from chapter07_gzip.common.packed import packed_length, unpack
from chapter08_maintenance.common.es import MaintenanceMetadata
from chapter08_maintenance.common.tool import run
from chapter08_maintenance.delete_orphan_object import shard_keys

log = logging.getLogger("object_scanner")


class ScanStream(RSGetStream):
    """Chapter 5's GET stream, with repairs that never give up and are committed before it ends."""
    background_repairs = False
    repair_wait = 60.0


@dataclass
class Report:
    checked: int = 0
    repaired: int = 0
    damaged: list = field(default_factory=list)
    skipped: int = 0


def object_scanner(config: dict, metadata: MaintenanceMetadata) -> bool:
    servers, locator = join_cluster(config)
    report, started = Report(), time.monotonic()
    for key in sorted(shard_keys(os.path.join(config["STORAGE_ROOT"], "objects"))):
        try:
            scan(key, metadata, servers, locator, report)
        except StorageError as error:          # e.g. fewer than four shards left: report, go on
            log.error("%s: cannot be checked: %s", key, error)
            report.damaged.append(key)
    elapsed = time.monotonic() - started
    log.info("done: %d objects checked in %.1f s (%.1f objects/s), %d shards rebuilt, %d skipped, %d damaged%s",
             report.checked, elapsed, report.checked / elapsed if elapsed else 0, report.repaired, report.skipped,
             len(report.damaged), f": {report.damaged}" if report.damaged else "")
    locator.stop()
    return not report.damaged


def join_cluster(config: dict):
    """Listen to heartbeats until the set of live data servers settles."""
    servers = DataServers(config["HEARTBEAT_EXPIRY"])
    listener = HeartbeatListener(config["RABBITMQ_SERVER"], servers)
    locator = Locator(config["RABBITMQ_SERVER"], config["LOCATE_TIMEOUT"], servers)
    listener.start()
    locator.start()
    time.sleep(min(2 * config["HEARTBEAT_INTERVAL"] + 0.2, config["HEARTBEAT_EXPIRY"]))
    log.info("live data servers: %s", servers.live())
    return servers, locator


def scan(key: str, metadata, servers, locator, report: Report) -> None:
    """Check one object; rebuild its shards; a second pass rebuilds shards that failed late."""
    h = digest.parse(key)
    size = metadata.size_of(h) if h else None
    if size is None:
        log.info("%s: no version references it (left to delete_orphan_object)", key)
        report.skipped += 1
        return
    report.checked += 1
    for attempt in range(2):
        locations = locator.locate(key)
        packed = packed_length(locations, key, size)       # chapter 7 may have gzipped it first
        stream = ScanStream(locations, key, packed or size, repair_target(servers, locations))
        sha = hashlib.sha256()
        for part in (stream if packed is None else unpack(stream, size)):
            sha.update(part)
        report.repaired += len(stream.repaired)
        for index in stream.repaired:
            log.info("%s: shard %d rebuilt", key, index)
        if digest.encode(sha.digest()) != h:
            log.error("%s: the object decodes to another hash: damaged", key)
            report.damaged.append(key)
            return
        problems = set(range(rs.ALL_SHARDS)) - set(locations) | set(stream.dropped)
        if problems <= set(stream.repaired):      # else one more pass: a shard failed after its start
            return


if __name__ == "__main__":
    run(object_scanner)
