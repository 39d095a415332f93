"""Group commit: one thread writes every container record, many at a time, one sync for them all.

Callers queue a record and wait. The writer takes whatever is queued (up to ``MAX_BATCH`` bytes),
numbers the records (``seq``), writes them to the tail of the open container in one ``pwritev``,
syncs once (``fdatasync``) and only then indexes them and wakes their callers: no write is
acknowledged before the sync that covers its bytes, and sixteen concurrent writes cost one or two
syncs, not sixteen. A failed write (a full disk) cuts the container back to where it was and fails
every caller of that batch: nothing is acknowledged that was not stored.
"""
import errno
import itertools
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field, replace

from chapter01_single.errors import ServiceUnavailable
from final.containers import record

MAX_BATCH = 8 << 20         # bytes written at once at most
FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)

log = logging.getLogger(__name__)


@dataclass
class _Item:
    kind: int
    key: str
    data: bytes
    time: float
    done: threading.Event = field(default_factory=threading.Event)
    error: Exception | None = None


class Writer(threading.Thread):
    """The one thread that appends to a store's containers."""

    def __init__(self, store):
        super().__init__(name="container-writer", daemon=True)
        self.store = store
        self.queue: queue.Queue = queue.Queue()
        self.busy = threading.Lock()        # held while a batch is written and indexed
        self.stopping = threading.Event()
        self.start()

    def append(self, kind: int, key: str, data: bytes) -> None:
        """Write one record durably; returns once it is synced and indexed."""
        if self.stopping.is_set():
            raise ServiceUnavailable("the data server is stopping")
        item = _Item(kind, key, data, time.time())
        self.queue.put(item)
        item.done.wait()
        if item.error is not None:
            raise item.error

    def stop(self) -> None:
        self.stopping.set()
        self.queue.put(None)
        self.join(10)

    def run(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                break
            batch, size = [item], len(item.data)
            while size < MAX_BATCH:
                try:
                    more = self.queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self.queue.put(None)
                    break
                batch.append(more)
                size += len(more.data)
            with self.busy:
                self._write(batch)
        self._fail_waiting()

    def _write(self, batch: list[_Item]) -> None:
        store, raws, written = self.store, [], []
        for item in batch:
            raws.append(record.encode(item.kind, store.seq, item.time, item.key, item.data))
            written.append(record.Record(item.kind, store.seq, item.time, item.key, b"", 0, len(raws[-1])))
            store.seq += 1
        container = self._container(sum(map(len, raws)))
        start = container.size
        try:
            _write_all(container.fd, raws, start)
            if store.durable is None or store.durable.enabled:
                os.fdatasync(container.fd)
        except OSError as error:
            self._undo(container, start, error, batch)
            return
        offsets = itertools.accumulate(map(len, raws), initial=start)
        placed = [replace(found, offset=offset) for found, offset in zip(written, offsets)]
        container.size = start + sum(map(len, raws))
        store.applied(container.id, placed)
        for item in batch:
            item.done.set()

    def _container(self, total: int):
        """The open container, or a new one when this batch would take it past its size."""
        store = self.store
        with store.lock:
            active = store.active
            if active is None or active.id not in store.files or (
                    active.size and active.size + total > store.container_size):
                store.active = active = store.new_container()
        return active

    def _undo(self, container, start: int, error: OSError, batch: list[_Item]) -> None:
        try:
            os.ftruncate(container.fd, start)          # no half record stays at the tail
        except OSError:
            log.exception("could not cut container %d back to %d bytes", container.id, start)
        from final.containers.store import InsufficientStorage
        failure = (InsufficientStorage(f"the disk is full: {error.strerror}") if error.errno in FULL
                   else ServiceUnavailable(f"writing a container failed: {error.strerror}"))
        log.error("container %d: a write of %d record(s) failed: %s", container.id, len(batch), error)
        for item in batch:
            item.error = failure
            item.done.set()

    def _fail_waiting(self) -> None:
        while True:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                item.error = ServiceUnavailable("the data server is stopping")
                item.done.set()


def _write_all(fd: int, buffers: list[bytes], offset: int) -> None:
    """Write every buffer at ``offset`` on: one ``pwritev``, and the rest again if it wrote less
    (a nearly full disk writes what fits and fails only on the next write)."""
    total, done = sum(map(len, buffers)), os.pwritev(fd, buffers, offset)
    if done < total:
        rest = memoryview(b"".join(buffers))[done:]
        while rest:
            written = os.pwrite(fd, rest, offset + done)
            if written == 0:
                raise OSError(errno.ENOSPC, "no space left on device")
            rest, done = rest[written:], done + written
