"""``python -m chapter08_maintenance.delete_orphan_object`` (book §4.8 ``deleteOrphanObject``).

Env: ``STORAGE_ROOT`` and ``LISTEN_ADDRESS`` of one data server, ``ES_SERVER``, ``ORPHAN_GRACE``,
``GARBAGE_RETENTION``. A key's shards go to ``garbage/`` (through the data server's
``DELETE /objects/<key>?before=<run start - ORPHAN_GRACE>``) only when every one of these holds:
its newest shard file is older than ``ORPHAN_GRACE``; no temp upload on this server is writing that
key; an exact count of the versions naming its hash, answered without error, is 0, and is 0 again
right before the move; and, checked by the data server as it moves them, no file was written since
and no PUT that reuses the content has pinned it. Any doubt keeps the shard; an Elasticsearch error
stops the run (exit 1) before anything more is moved. The index must exist and hold versions (a
mistyped ``ES_INDEX`` is refused, never taken for "nothing is referenced"). Then files in
``garbage/`` older than ``GARBAGE_RETENTION`` are deleted.
"""
import json
import logging
import os
import time
from pathlib import Path

from chapter02_distributed.common.objectstream import request, url
from chapter03_metadata.common import digest
from chapter07_gzip.data_server.objects import SHARD_FILE
from chapter08_maintenance.common.es import MaintenanceMetadata
from chapter08_maintenance.common.tool import run


log = logging.getLogger("delete_orphan_object")


def delete_orphan_object(config: dict, metadata: MaintenanceMetadata, candidates=None) -> bool:
    """One run on one data server; ``candidates(config)`` lists its keys with the time each was
    last written (default: its shard files)."""
    root, now = Path(config["STORAGE_ROOT"]), time.time()
    busy = keys_in_flight(root / "temp")
    moved = kept = failed = 0
    found = candidates(config) if candidates else shard_keys(root / "objects")
    for key, newest in sorted(found.items()):
        h = digest.parse(key)
        if h is None:
            log.info("%s: keep, not the key of a SHA-256 (a foreign file)", key)
        elif now - newest < config["ORPHAN_GRACE"]:
            log.info("%s: keep, written %.0f s ago (grace %s s)", key, now - newest, config["ORPHAN_GRACE"])
        elif key in busy:
            log.info("%s: keep, an upload is writing it", key)
        elif (refs := metadata.references(h)) or (refs := metadata.references(h)):   # twice: re-check
            log.info("%s: keep, %d version(s) reference it", key, refs)
        elif (result := move(config["LISTEN_ADDRESS"], key, now - config["ORPHAN_GRACE"])) is None:
            failed += 1
            continue
        elif result["kept"]:
            log.info("%s: keep, written or pinned (by a PUT reusing it) since the run began", key)
        else:
            log.info("%s: no version references it: moved to garbage", key)
            moved += 1
            continue
        kept += 1
    purged = purge(root / "garbage", now - config["GARBAGE_RETENTION"])
    log.info("done: %d keys moved to garbage, %d kept, %d failed, %d garbage files purged", moved, kept, failed, purged)
    return failed == 0


def shard_keys(objects: Path) -> dict[str, float]:
    """key -> modification time of its newest shard file (foreign files are ignored)."""
    keys: dict[str, float] = {}
    for entry in os.scandir(objects):
        if match := SHARD_FILE.match(entry.name):
            keys[match.group("key")] = max(keys.get(match.group("key"), 0.0), entry.stat().st_mtime)
    return keys


def keys_in_flight(temp: Path) -> set[str]:
    """The keys that temp uploads on this server are writing."""
    keys = set()
    for info in temp.glob("*.json"):
        try:
            keys.add(json.loads(info.read_text())["Name"].split(".")[0])
        except (OSError, ValueError, KeyError, AttributeError):
            continue
    return keys


def move(address: str, key: str, before: float) -> dict | None:
    """``DELETE /objects/<key>?before=…`` on the data server: what it moved and what it kept (a
    file written since ``before``, or pinned), or None when it failed."""
    response = request("DELETE", url(address, "objects", key) + f"?before={before:.6f}")
    response.close()
    if response.status_code != 200:
        log.error("%s: the data server answered %d to DELETE", key, response.status_code)
        return None
    return response.json()


def purge(garbage: Path, older_than: float) -> int:
    """Delete garbage files moved before ``older_than``; returns how many."""
    purged = 0
    for entry in os.scandir(garbage) if garbage.is_dir() else ():
        if entry.stat().st_mtime < older_than:
            Path(entry.path).unlink(missing_ok=True)
            log.info("garbage/%s: purged", entry.name)
            purged += 1
    return purged


if __name__ == "__main__":
    run(delete_orphan_object)
