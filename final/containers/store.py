"""Small objects in container files on a data server (QingStor's small-file containers; ours).

``STORAGE_ROOT/containers/`` holds append-only files ``<id>.ctr`` of records (``record.py``), the
saved index (``index.snapshot``, ``snapshot.py``) and a lock file (one server per folder). Every
write goes to the tail of the one open container; a new one is started past ``CONTAINER_SIZE``.
Concurrent writes are batched by one writer thread into one write and one ``fdatasync`` (group
commit), and no caller returns before the sync that covers its bytes. The index maps each key to
(container, offset, length): a read is one ``pread`` on a cached descriptor, checked against the
record's CRCs; a record that fails is forgotten (a missing replica, which the scanner restores),
never returned. A delete appends a mark; compaction (``compaction.py``) rewrites containers whose
dead bytes pass ``COMPACT_RATIO``.

    containers/00000001.ctr   | rec | rec | mark | rec | ...        (full, read-only)
    containers/00000002.ctr   | rec | rec | ...  <- appends        (the open one)
"""
import base64
import fcntl
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from chapter01_single.errors import ObjectNotFound, ServiceUnavailable, StorageError
from final.containers import record
from final.containers.writer import Writer

log = logging.getLogger(__name__)


class InsufficientStorage(StorageError):
    """The data server's disk is full: nothing was stored."""
    status, code = 507, "InsufficientStorage"


@dataclass
class Container:
    """One container file: its open descriptor, size, live bytes and lowest record seq."""
    id: int
    path: Path
    fd: int
    size: int = 0
    live: int = 0
    min_seq: int = 1 << 63

    @property
    def dead_ratio(self) -> float:
        return 1 - self.live / self.size if self.size else 0.0


@dataclass
class Stats:
    """What the store reports on /healthz and to its tests."""
    containers: int = 0
    records: int = 0
    live_bytes: int = 0
    dead_bytes: int = 0
    damage: list = field(default_factory=list)


class ContainerStore:
    """The containers of one data server, with their index and writer."""

    def __init__(self, root: str | os.PathLike, container_size: int, durable=None):
        self.folder = Path(root).resolve() / "containers"
        self.container_size, self.durable = container_size, durable
        self.lock = threading.RLock()                  # guards files, index and live counts
        self.files: dict[int, Container] = {}
        self.index: dict[bytes, int] = {}              # raw key -> packed (container, offset, length)
        self.active: Container | None = None
        self.seq = 1
        self.damage: list = []                          # what start-up cut or could not read
        self.retired: list[int] = []                    # descriptors of removed containers, closed later
        self.writer: Writer | None = None
        self._lockfile: int | None = None

    def start(self) -> None:
        """Take the folder, load or rebuild the index, start the writer (in the serving process:
        ``create_app`` builds the store, ``main`` starts it, like every background worker)."""
        if self.writer is not None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lockfile = self._take_folder()
        from final.containers.snapshot import load      # the saved index, or the containers alone
        load(self)
        self.writer = Writer(self)

    def stop(self) -> None:
        if self.writer is not None:
            self.close()

    # -- reads -------------------------------------------------------------------------------------

    def record_of(self, key: str) -> tuple[Container | None, int | None]:
        """(its container, its packed place) of ``key``'s record; (None, None) when it is not here."""
        with self.lock:
            loc = self.index.get(raw(key))
            return (self.files.get(unpack(loc)[0]) if loc is not None else None), loc

    def get(self, key: str) -> bytes:
        """The stored bytes of ``key``; ``ObjectNotFound`` when absent or no longer intact."""
        container, loc = self.record_of(key)
        if container is None:
            raise ObjectNotFound(f"no replica of {key} here")
        cid, offset, length = unpack(loc)
        try:
            found = record.decode(os.pread(container.fd, length, offset), offset)
            if found.kind != record.DATA or found.key != key:
                raise record.BadRecord("another record")
        except (record.BadRecord, OSError) as error:
            log.error("container %d at %d: the record of %s is damaged (%s): forgotten", cid, offset, key, error)
            self._forget(raw(key), loc)
            raise ObjectNotFound(f"the replica of {key} here is damaged") from None
        return found.data

    def has(self, key: str) -> bool:
        with self.lock:
            return raw(key) in self.index

    def keys(self) -> list[str]:
        with self.lock:
            return [text(k) for k in self.index]

    def time_of(self, key: str) -> float | None:
        """When ``key``'s record was written (its header), or None when it is not here."""
        container, loc = self.record_of(key)
        if container is None:
            return None
        _, offset, _ = unpack(loc)
        try:
            return record.parse_header(os.pread(container.fd, record.HEADER, offset))[2]
        except (record.BadRecord, OSError):
            return None

    # -- writes ------------------------------------------------------------------------------------

    def put(self, key: str, data: bytes) -> bool:
        """Store ``data`` as ``key``, durably; False when an intact copy was here already."""
        if self.has(key):
            try:
                if self.get(key) == data:
                    return False
            except ObjectNotFound:
                pass
        self._append(record.DATA, key, data)
        return True

    def delete(self, key: str, before: float | None = None) -> bool:
        """Append a delete mark for ``key`` (only if written before ``before``); whether it was here."""
        if not self.has(key):
            return False
        if before is not None and (self.time_of(key) or 0) >= before:
            return False
        self._append(record.MARK, key, b"")
        return True

    def _append(self, kind: int, key: str, data: bytes) -> None:
        writer = self.writer
        if writer is None:
            raise ServiceUnavailable("the containers are not open")
        writer.append(kind, key, data)

    def applied(self, cid: int, written: list[record.Record]) -> None:
        """The writer's report: these records are on disk in container ``cid`` (index them)."""
        with self.lock:
            container = self.files[cid]
            for found in written:
                container.min_seq = min(container.min_seq, found.seq)
                self.place(found, cid)

    def place(self, found: record.Record, cid: int) -> None:
        """Make ``found`` (in container ``cid``) what the index says of its key."""
        raw_key = raw(found.key)
        old = self.index.pop(raw_key, None)
        if old is not None:
            self.files[unpack(old)[0]].live -= unpack(old)[2]
        if found.kind == record.DATA:
            self.index[raw_key] = pack(cid, found.offset, found.length)
            self.files[cid].live += found.length

    def _forget(self, raw_key: bytes, loc: int) -> None:
        with self.lock:
            if self.index.get(raw_key) == loc:
                del self.index[raw_key]
                self.files[unpack(loc)[0]].live -= unpack(loc)[2]

    # -- files -------------------------------------------------------------------------------------

    def open_container(self, cid: int, size: int | None = None) -> Container:
        """Register container ``cid`` (its file exists), read-only unless it becomes the active one."""
        path = self.path(cid)
        container = Container(cid, path, os.open(path, os.O_RDWR), path.stat().st_size if size is None else size)
        self.files[cid] = container
        return container

    def new_container(self) -> Container:
        """A new, empty container with the next id (its file created and the folder synced)."""
        cid = max(self.files, default=0) + 1
        self.path(cid).touch(exist_ok=False)
        self.sync_folder()
        return self.open_container(cid, 0)

    def path(self, cid: int) -> Path:
        return self.folder / f"{cid:08d}.ctr"

    def container_ids(self) -> list[int]:
        """The ids of the container files in the folder, in order."""
        return sorted(int(p.name[:-4]) for p in self.folder.glob("*.ctr") if p.name[:-4].isdigit())

    def sync_folder(self) -> None:
        if self.durable is not None:
            self.durable.folder(self.folder)

    def stats(self) -> Stats:
        with self.lock:
            live = sum(c.live for c in self.files.values())
            size = sum(c.size for c in self.files.values())
            return Stats(len(self.files), len(self.index), live, size - live, list(self.damage))

    def close(self) -> None:
        """Stop writing, save the index, close every file."""
        self.writer.stop()
        from final.containers.snapshot import save
        save(self)
        self.writer = None
        with self.lock:
            for container in self.files.values():
                os.close(container.fd)
            for fd in self.retired:
                os.close(fd)
            self.files, self.retired = {}, []
        os.close(self._lockfile)
        self._lockfile = None

    def _take_folder(self) -> int:
        """Hold ``containers/LOCK``: one server (or offline compaction) per folder at a time."""
        fd = os.open(self.folder / "LOCK", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RuntimeError(f"{self.folder} is in use by another process (a data server, or final.compact)")
        return fd


def raw(key: str) -> bytes:
    """The 32 bytes a key stands for (the index keeps these, not the text)."""
    return base64.urlsafe_b64decode(key + "=")


def text(raw_key: bytes) -> str:
    return base64.urlsafe_b64encode(raw_key).decode().rstrip("=")


def pack(cid: int, offset: int, length: int) -> int:
    """One int for a record's place: container, offset (< 2**40), length (< 2**24)."""
    return (cid << 64) | (offset << 24) | length


def unpack(loc: int) -> tuple[int, int, int]:
    return loc >> 64, (loc >> 24) & ((1 << 40) - 1), loc & ((1 << 24) - 1)
