"""``DELETE /objects/<key>``: move a key's shards to ``garbage/`` (book §4.8, fixed per D8, D14).

Go: ``chapter8/dataServer/objects/{handler,del}.go``. The book globbed ``<hash>.*`` and did nothing
unless exactly one file matched; here the exact shard files the index lists for a validated key
are moved (with their checksums), the index forgets them, and the answer is 200 whether or not
anything was there (idempotent). A moved file's time is set to the move, so ``GARBAGE_RETENTION``
counts from then.

Beyond the book (issue 18): ``PATCH /objects/<key>`` pins a key's shards: it sets their time to now
and, for ``PIN_SECONDS``, no DELETE moves them. An api server pins the shards a PUT reuses (dedup)
until the version that refers to them is written; ``delete_orphan_object`` names a time
(``?before=``) and moves only files older than it, never pinned ones: a PUT can no longer add a
version of content the tool is moving to garbage.
"""
import json
import logging
import math
import os
import threading
import time

from flask import Response, request

from chapter01_single.errors import BadRequest
from chapter04_dedup.data_server.objects import check_key
from chapter07_gzip.data_server import objects as chapter7

PIN_SECONDS = 300.0      # how long a pin holds; an api re-pins what it still relies on

log = logging.getLogger(__name__)


class GarbageShardStore(chapter7.GzipShardStore):
    """Chapter 7's store, able to pin shards and to move unpinned ones to ``garbage/``."""

    def __init__(self, root, durable=None):
        super().__init__(root, durable)
        self._pins: dict[str, float] = {}          # key -> monotonic time its pin ends
        self._moving = threading.Lock()            # a pin and a move never interleave

    def pin(self, key: str) -> list[str]:
        """Refresh the time of ``key``'s shards and keep them for ``PIN_SECONDS``; their names."""
        with self._moving:
            names = self.files(check_key(key))
            for name in names:
                os.utime(self.objects / name)
            if names:
                self._pins[key] = time.monotonic() + PIN_SECONDS
        return names

    def move_to_garbage(self, key: str, before: float | None = None) -> tuple[list[str], list[str]]:
        """Move the shard files of ``key`` to ``garbage/`` (only those last written before the
        time ``before``, and none while ``key`` is pinned); returns (moved, kept)."""
        moved, kept = [], []
        with self._moving:
            pinned = self._pins.get(check_key(key), 0) > time.monotonic()
            for name in self.files(key):
                if pinned or before is not None and self._mtime(name) >= before:
                    kept.append(name)
                elif self.to_garbage(self.objects / name):
                    (self.checksums / name).unlink(missing_ok=True)
                    self.forget(name)
                    moved.append(name)
                    log.info("moved objects/%s to garbage/", name)
            self._pins = {k: t for k, t in self._pins.items() if t > time.monotonic()}
        return moved, kept

    def _mtime(self, name: str) -> float:
        try:
            return (self.objects / name).stat().st_mtime
        except FileNotFoundError:
            return 0.0


class ShardsView(chapter7.ShardsView):
    """Chapter 7's shard view plus PATCH (pin) and DELETE (to garbage)."""

    def patch(self, name: str):
        names = self.store.pin(name)
        return Response(json.dumps({"pinned": names}), status=200 if names else 404, mimetype="application/json")

    def delete(self, name: str):
        moved, kept = self.store.move_to_garbage(name, before_argument())
        return Response(json.dumps({"moved": moved, "kept": kept}), mimetype="application/json")


def before_argument() -> float | None:
    """``?before=<unix time>``: move only what was written before it."""
    text = request.args.get("before")
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise BadRequest(f"before must be a time in seconds, not {text[:40]!r}")
    return value
