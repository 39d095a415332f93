"""Where an object's pieces are, and whether they are whole: both ends, for the web view (issue 22).

A data server answers ``GET /inventory/<key>`` with what it holds of ``key``: its shard files
(index, form, size) and its container record (container, offset, length), each checked against
the hash it must have (a shard file against the shard key in its name, a record against the
object's key): ``present`` or ``corrupt``. It only reads: a corrupt piece stays where it is for
the scanner. Shards over ``VERIFY_LIMIT`` bytes are reported unchecked (``present``, ``checked``
false): a page view must not read gigabytes. ``survey`` asks every live data server at once and
puts the answers together; ``usage`` is what a data server adds to ``/healthz`` (disk, counts).
"""
import hashlib
import json
import os
import shutil
from concurrent.futures import wait

import requests
from flask import Response

from chapter01_single.app import Resource
from chapter02_distributed.common.objectstream import HopPool, with_hop_headers
from chapter03_metadata.common import digest
from chapter04_dedup.data_server.objects import check_key
from chapter05_erasure.common import rs
from chapter05_erasure.data_server.objects import summarize
from final.containers import record
from final.containers.store import unpack

VERIFY_LIMIT = 64 << 20          # bytes of one shard file checked on a page view
TIMEOUT = 3.0                    # seconds a survey waits for one data server
VERDICTS = 4096                  # shard checks remembered (by file name, time and size)

_asks = HopPool(max_workers=8, thread_name_prefix="inventory")
_verdicts: dict[tuple, str] = {}


class InventoryView(Resource):
    """``GET /inventory/<key>``: this server's pieces of ``key``, checked."""
    prefix = "/inventory/"

    def __init__(self, store):
        self.store = store

    def get(self, name: str):
        key = check_key(name)
        body = {"shards": [shard_state(self.store, filename) for filename in self.store.files(key)],
                "replica": replica_state(self.store.containers, key)}
        return Response(json.dumps(body), mimetype="application/json")


def shard_state(store, filename: str) -> dict:
    """One shard file: index, form (``packed`` or plain), size on disk, state."""
    match = store.pattern.match(filename)
    path = store.objects / filename
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {"file": filename, "index": int(match.group("index")), "state": "missing"}
    size, checked = stat.st_size, stat.st_size <= VERIFY_LIMIT
    state = _checked(store, path, (filename, stat.st_mtime_ns, size), match.group("shard")) if checked else "present"
    return {"file": filename, "index": int(match.group("index")), "form": "packed" if match.group("form") else "plain",
            "size": size, "state": state, "checked": checked}


def _checked(store, path, version: tuple, shard_key: str) -> str:
    """``present`` or ``corrupt``: the shard hashed (once per file version: a page view again reads nothing)."""
    if version not in _verdicts:
        try:
            with store.reader(path) as file:
                found, _ = summarize(file)
        except Exception:                     # e.g. a packed shard that no longer decompresses
            found = None
        if len(_verdicts) >= VERDICTS:
            _verdicts.clear()
        _verdicts[version] = "present" if found == shard_key else "corrupt"
    return _verdicts[version]


def replica_state(containers, key: str) -> dict | None:
    """The container record of ``key`` here: container, offset, length, state; None when there is none."""
    container, loc = containers.record_of(key)
    if loc is None:
        return None
    cid, offset, length = unpack(loc)
    state = "corrupt"
    if container is not None:
        try:
            found = record.decode(os.pread(container.fd, length, offset), offset)
            whole = digest.key(digest.encode(hashlib.sha256(found.data).digest())) == key
            state = "present" if found.kind == record.DATA and found.key == key and whole else "corrupt"
        except (record.BadRecord, OSError):
            pass
    return {"container": cid, "offset": offset, "length": length, "state": state}


def usage(root, store) -> dict:
    """What a data server's ``/healthz`` says of its disk and of what it holds."""
    disk = shutil.disk_usage(root)
    shard_files = sum(1 for name in os.listdir(store.objects) if store.pattern.match(name))
    return {"disk": {"total": disk.total, "used": disk.used, "free": disk.free}, "shard_files": shard_files}


def survey(servers: list[str], keys: list[str]) -> list[dict]:
    """What every one of ``servers`` holds of each of ``keys``, all asked at once, answered within
    ``TIMEOUT`` and a second whatever hangs: per key, ``shards`` (index → pieces, each with its
    server), ``replicas`` (records with their servers) and ``silent`` (servers that did not answer)."""
    asked = {(server, key): _asks.submit(_ask, server, key) for key in keys for server in servers}
    wait(asked.values(), TIMEOUT + 1)
    return [_gather({server: _answer(asked[server, key]) for server in servers}) for key in keys]


def _answer(future) -> dict | None:
    if not future.done():
        future.cancel()
        return None
    return future.result()


def _gather(answers: dict) -> dict:
    shards = {index: [] for index in range(rs.ALL_SHARDS)}
    replicas, silent = [], sorted(server for server, answer in answers.items() if answer is None)
    for server, answer in sorted((s, a) for s, a in answers.items() if a is not None):
        for piece in answer.get("shards", []):
            shards.setdefault(piece["index"], []).append(dict(piece, server=server))
        if answer.get("replica"):
            replicas.append(dict(answer["replica"], server=server))
    return {"shards": shards, "replicas": replicas, "silent": silent}


def _ask(server: str, key: str) -> dict | None:
    try:
        with requests.get(f"http://{server}/inventory/{key}", timeout=TIMEOUT,
                          headers=with_hop_headers(None)) as response:
            return response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return None
