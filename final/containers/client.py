"""The api side of small objects: kept whole, as three replicas, in three data servers' containers.

A PUT of at most ``SMALL_OBJECT_LIMIT`` bytes is read into memory and hashed (and checked against
its digest), then sent whole, in one request each, to three data servers at once (``PUT
/containers/<key>``): the first three of the live servers ranked by the key (rendezvous hashing, so
the same content goes to the same servers and is stored once), the next ones if any refuses.
Three replicas survive two lost servers, as 4+2 shards do, but a small object then costs three
requests to write and one to read instead of six and four: for small objects the requests, not
the bytes, are what costs. The version records the three servers, so a GET asks one of them
directly (no locate), checks the bytes against the hash and tries the next on any failure; when
all recorded ones fail (a replica moved by the scanner), it locates the object. Big objects keep
chapter 8's path.
"""
import hashlib
import itertools
import logging
import random

from isal import isal_zlib

from chapter01_single.errors import ServiceUnavailable
from chapter02_distributed.api_server.heartbeat import NoLiveDataServer
from chapter02_distributed.api_server.store import Body
from chapter02_distributed.common.objectstream import path
from chapter03_metadata.api_server.store import VerifiedBody
from chapter03_metadata.common import digest
from chapter04_dedup.api_server.store import check_size, required
from chapter05_erasure.common import rs
from chapter05_erasure.common.fetch import ShardFetch
from chapter07_gzip.api_server.store import GZIP
from chapter07_gzip.common.encoding import DOWNLOAD_LEVEL
from chapter08_maintenance.api_server import store as chapter8
from final.containers.metadata import ReplicatedVersion
from final.containers.store import InsufficientStorage

REPLICAS = 3

log = logging.getLogger(__name__)


class NoReplica(ServiceUnavailable):
    """No replica of the object could be read; try again later."""


class Send(ShardFetch):
    """``PUT <path>`` with a body, sent at once on a kept connection (``answer()`` waits)."""
    method = "PUT"

    def __init__(self, server: str, target: str, body: bytes):
        self.body = body
        super().__init__(server, target, {"Content-Length": str(len(body))})


class Objects(chapter8.Objects):
    """Chapter 8's objects; small ones whole, three times, in containers."""

    def __init__(self, servers, locator, metadata, small_limit: int, on_repair=None):
        super().__init__(servers, locator, metadata)
        self.small_limit = small_limit
        self.on_repair = on_repair          # told (key, shard index, server) of each shard a GET rewrites

    def get_stream(self, locations, key, size, repair_target=None):
        """Chapter 5's stream; the repairs it starts are told to ``on_repair`` (the web view's feed)."""
        if repair_target is not None and self.on_repair is not None:
            repair_target = _reporting(repair_target, key, self.on_repair)
        return super().get_stream(locations, key, size, repair_target)

    def small(self, size: int) -> bool:
        """Whether an object of ``size`` bytes is kept whole (SMALL_OBJECT_LIMIT 0: none is)."""
        return self.small_limit > 0 and size <= self.small_limit

    def store_content(self, claimed: str, chunks, size: int | None) -> dict:
        if not self.small(required(size)):
            return super().store_content(claimed, chunks, size)
        body = VerifiedBody(chunks, claimed)
        data = b"".join(body)
        check_size(body, size)
        return {"size": len(data), "packed": 0, "replicas": self.put_replicas(digest.key(claimed), data)}

    def put_replicas(self, key: str, data: bytes) -> list[str]:
        """Store ``data`` whole on three live servers; their addresses (503/507 when it cannot)."""
        ranked = rank(key, self.servers.live())
        if len(ranked) < REPLICAS:
            raise NoLiveDataServer(f"fewer than {REPLICAS} live data servers")
        placed, refusals = [], []
        while len(placed) < REPLICAS and ranked:
            batch, ranked = ranked[:REPLICAS - len(placed)], ranked[REPLICAS - len(placed):]
            sends = [Send(server, path("containers", key), data) for server in batch]
            for server, send in zip(batch, sends):
                status = send.answer()
                send.close()
                (placed if status == 200 else refusals).append(server if status == 200 else status)
        if len(placed) < REPLICAS:
            full = refusals and all(status == 507 for status in refusals)
            raise (InsufficientStorage if full else NoReplica)(
                f"only {len(placed)} of {REPLICAS} replicas of {key} could be stored")
        return placed

    def put_replica(self, server: str, key: str, data: bytes) -> bool:
        """One more replica, on ``server``; whether it took it."""
        send = Send(server, path("containers", key), data)
        try:
            return send.answer() == 200
        finally:
            send.close()

    def open(self, record: ReplicatedVersion, span=None, gzip_ok: bool = False) -> Body:
        if not getattr(record, "replicas", ()):
            return super().open(record, span, gzip_ok)
        data = self.read_replica(record)
        if span is not None:
            return Body([data[span[0]:span[1] + 1]], span[1] - span[0] + 1)
        if gzip_ok:
            packed = isal_zlib.compress(data, DOWNLOAD_LEVEL, 31)
            return Body([packed], len(packed), dict(GZIP))
        return Body([data], len(data))

    def read_replica(self, record: ReplicatedVersion) -> bytes:
        """The object's bytes from one of its replicas (checked against its hash)."""
        key = digest.key(record.hash)
        recorded = list(record.replicas)
        random.shuffle(recorded)                       # the three share the reads
        for server in itertools.chain(recorded, self._elsewhere(key, recorded)):
            data = fetch_replica(server, key, record.size)
            if data is not None and digest.encode(hashlib.sha256(data).digest()) == record.hash:
                return data
            log.warning("the replica of %s on %s could not be read", key, server)
        raise NoReplica(f"no replica of {record.name!r} version {record.version} could be read")

    def _elsewhere(self, key: str, tried: list[str]):
        """Servers that keep ``key`` whole besides ``tried`` (located only when those all failed)."""
        yield from (server for server in self.locator.locate(key).replicas if server not in tried)

    def finish_upload(self, upload, sha=None):
        """A small resumable upload ends as replicas too (its temps are read back, then dropped)."""
        record = upload.upload
        if not self.small(record.size):
            return super().finish_upload(upload, sha)
        data = read_upload(upload)
        if data is None or digest.encode(hashlib.sha256(data).digest()) != record.hash:
            upload.drop()
            raise digest.DigestMismatch(f"the uploaded bytes do not hash to {record.hash}; upload dropped")
        replicas = self.put_replicas(digest.key(record.hash), data)
        upload.drop()
        return self.metadata.add_version(record.name, record.hash, record.size, packed=0, replicas=replicas)


def _reporting(target, key: str, on_repair):
    def reporting(index: int, own: str | None) -> str | None:
        server = target(index, own)
        if server:
            on_repair(key, index, server)
        return server
    return reporting


def rank(key: str, servers: list[str]) -> list[str]:
    """``servers`` in the order ``key`` prefers them (rendezvous hashing: a lost server moves only
    the keys it held)."""
    return sorted(servers, key=lambda server: hashlib.sha256(f"{key}@{server}".encode()).digest(), reverse=True)


def fetch_replica(server: str, key: str, size: int) -> bytes | None:
    """``GET /containers/<key>`` from ``server``: the bytes, or None."""
    fetch = ShardFetch(server, path("containers", key), {})
    try:
        if fetch.answer() != 200 or fetch.response.length != size:
            return None
        data = fetch.read(size)
        return bytes(data) if data is not None else None
    finally:
        fetch.close()


def read_upload(upload) -> bytes | None:
    """The bytes of a finished resumable upload, decoded from its four data temps."""
    want = rs.shard_size(upload.upload.size)
    shards = []
    for temp in upload.temps[:rs.DATA_SHARDS]:
        fetch = ShardFetch(temp.server, path("temp", temp.uuid), {})
        try:
            shards.append(fetch.read(want) if fetch.answer() == 200 else None)
        finally:
            fetch.close()
    if any(shard is None for shard in shards):
        return None
    return rs.decode(shards + [None] * rs.PARITY_SHARDS, upload.upload.size)
