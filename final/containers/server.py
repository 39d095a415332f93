"""The data-server side of small objects: chapter 8's shard store with a ``ContainerStore`` beside it.

A small object's replica is a container record named by the object's key. What chapters 4-8 do
with a key works on it: locate finds it (a ``"Replica": true`` in the reply), chapter 8's
``DELETE /objects/<key>`` appends a delete mark (with the same ``before`` and pin rules as shard
files), ``PATCH /objects/<key>`` pins it. ``Compactor`` compacts in the background and saves the
index now and then.
"""
import logging
import threading
import time

from chapter07_gzip.data_server.locate import LocateListener as FormsLocateListener
from chapter08_maintenance.data_server.objects import PIN_SECONDS, GarbageShardStore
from final.containers import compaction
from final.containers.snapshot import save
from final.containers.store import ContainerStore

log = logging.getLogger(__name__)


class ContainerShardStore(GarbageShardStore):
    """Shard files (big objects) and container records (small objects' replicas) of one server."""

    def __init__(self, root, containers: ContainerStore, durable=None):
        super().__init__(root, durable)
        self.containers = containers

    def pin(self, key: str) -> list[str]:
        names = super().pin(key)
        if self.containers.has(key):
            with self._moving:
                self._pins[key] = max(self._pins.get(key, 0), time.monotonic() + PIN_SECONDS)
            names = names + [key]
        return names

    def move_to_garbage(self, key: str, before: float | None = None) -> tuple[list[str], list[str]]:
        moved, kept = super().move_to_garbage(key, before)
        if self.containers.has(key):
            with self._moving:
                pinned = self._pins.get(key, 0) > time.monotonic()
                if not pinned and self.containers.delete(key, before):
                    moved.append(key)
                    log.info("marked the replica of %s in its container deleted", key)
                else:
                    kept.append(key)
        return moved, kept


class LocateListener(FormsLocateListener):
    """Chapter 7's reply, plus ``"Replica": true`` when this server keeps the object in a container."""

    def answer(self, name):
        reply = super().answer(name)
        if isinstance(name, str) and len(name) == 43 and self.store.containers.has(name):
            reply = {k: v for k, v in reply.items() if k != "Found"}
            reply["Replica"] = True
        return reply


class Compactor(threading.Thread):
    """Compacts containers whose dead bytes pass ``ratio`` and saves the index, every ``interval`` s."""

    def __init__(self, containers: ContainerStore, ratio: float, interval: float = 30.0):
        super().__init__(name="compactor", daemon=True)
        self.containers, self.ratio, self.interval = containers, ratio, interval
        self.stopping = threading.Event()
        self.running = threading.Lock()          # one compaction at a time (this thread or a request)
        self._saved = None

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                self.compact_now()
                self.save_if_changed()
            except Exception:
                log.exception("background compaction failed")

    def compact_now(self) -> list[dict]:
        """Compact every container past the ratio, now; what was done."""
        with self.running:
            return [compaction.compact(self.containers, cid)
                    for cid in compaction.candidates(self.containers, self.ratio)]

    def save_if_changed(self) -> None:
        state = (self.containers.seq, len(self.containers.files))
        if state != self._saved:
            save(self.containers)
            self._saved = state

    def stop(self) -> None:
        self.stopping.set()
        with self.running:
            pass                                 # a compaction under way ends first
