"""``python -m final.object_scanner``: chapter 8's scanner, aware of small objects' replicas.

Env as chapter 8's (``STORAGE_ROOT`` of one data server, ``ES_SERVER``, ``RABBITMQ_SERVER``). Besides
the data server's shard files it checks the small objects in its containers (read from the files,
read-only): every replica of each is read and hashed; a replica that does not hash to its key is
deleted on its server; and while fewer than three good replicas are left, the object is written
to the next live servers its key ranks (from a good replica). Content with no readable replica and
fewer than four shards anywhere is reported damaged (exit 1).
"""
import hashlib
import logging
from pathlib import Path

from chapter02_distributed.common.objectstream import DataServerError, request, url
from chapter03_metadata.common import digest
from chapter08_maintenance import object_scanner as chapter8
from chapter08_maintenance.common.tool import run  # unchanged since chapter 8
from final import config as settings
from final.api_server import app as api
from final.containers.client import REPLICAS, Objects, fetch_replica, rank
from final.containers.scan import keys_in
from final.ops.logs import setup_logging

log = logging.getLogger("object_scanner")


class ScanObjects(Objects):
    """final/'s pipeline, reading shards with chapter 8's ``ScanStream``."""
    get_stream = chapter8.ScanStream


class ScanParts(api.Parts):
    objects_class = ScanObjects


class Scanner(chapter8.Scanner):
    parts_class = ScanParts

    def keys(self):
        return set(super().keys()) | keys_in(Path(self.config["STORAGE_ROOT"]) / "containers")

    def check(self, key: str, record) -> None:
        if getattr(record, "replicas", ()):
            self.replicas(key, record)
        else:
            super().check(key, record)

    @property
    def checked_replicas(self) -> set:
        return self.__dict__.setdefault("_checked", set())

    def replicas(self, key: str, record) -> None:
        """Read every replica; drop bad ones; bring the good ones back to three."""
        self.checked_replicas.add(key)
        objects = self.parts.objects
        good, data = [], None
        for server in objects.locator.locate(key).replicas:
            copy = fetch_replica(server, key, record.size)
            if copy is not None and digest.encode(hashlib.sha256(copy).digest()) == record.hash:
                good.append(server)
                data = copy
            else:
                log.error("%s: the replica on %s is damaged: deleted there", key, server)
                _delete(server, key)
        if data is None:
            raise chapter8.StorageError(f"no replica of {key} can be read")
        for server in rank(key, objects.servers.live()):
            if len(good) >= REPLICAS:
                break
            if server not in good and objects.put_replica(server, key, data):
                log.info("%s: replica written to %s", key, server)
                good.append(server)
                self.report.repaired += 1

    def check_located(self, key: str, located) -> None:
        """Content kept whole with fewer than three replicas left (on servers whose scanner never
        sees it: the damaged copy is gone from their containers) gets them back here."""
        if 0 < len(getattr(located, "replicas", ())) < REPLICAS and key not in self.checked_replicas:
            record = self.record(key)
            if record is not None and getattr(record, "replicas", ()):
                self.replicas(key, record)
        super().check_located(key, located)

    def readable(self, located) -> int:
        return max(super().readable(located), 4 if getattr(located, "replicas", None) else 0)


def _delete(server: str, key: str) -> None:
    try:
        request("DELETE", url(server, "containers", key)).close()
    except DataServerError:
        pass


def object_scanner(config: dict, metadata) -> bool:
    return Scanner(config, metadata).run()


if __name__ == "__main__":
    setup_logging(settings.load())
    run(object_scanner, api.Parts.maintenance_class, settings)
