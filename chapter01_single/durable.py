"""Writes that survive a crash: a file is fsynced before it is renamed into place, and the folder
after, before the request is answered (issue 18: a commit was an ``os.replace`` of an unsynced
file, so a power cut after a 200 could lose the object).

A folder's fsync is shared by concurrent callers (group commit): one fsync that starts after a
caller's rename covers it, so many commits at once pay for one or two fsyncs, not one each.
``FSYNC=0`` turns syncing off, only to measure what it costs (bench/).
"""
import os
import threading
from pathlib import Path


class Durability:
    """fsyncs of files and folders, or none at all when ``enabled`` is False."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self._folders: dict[Path, FolderSync] = {}
        self._lock = threading.Lock()

    def file(self, file) -> None:
        """Flush an open file's data to disk (``file`` has ``fileno()``)."""
        if self.enabled:
            if hasattr(file, "flush"):
                file.flush()
            os.fsync(file.fileno())

    def folder(self, path: Path) -> None:
        """Make the renames done in ``path`` so far durable."""
        if self.enabled:
            with self._lock:
                sync = self._folders.setdefault(Path(path), FolderSync(path))
            sync.sync()


class FolderSync:
    """One folder's fsync, run by one caller at a time for all who wait (group commit)."""

    def __init__(self, path: Path):
        self.path = path
        self._cond = threading.Condition()
        self._started = self._done = 0
        self._running = False

    def sync(self) -> None:
        with self._cond:
            ticket = self._started + 1           # an fsync that starts after now covers this caller
            while self._done < ticket and self._running:
                self._cond.wait()
            if self._done >= ticket:
                return
            self._running, self._started = True, self._started + 1
            generation = self._started
        try:
            descriptor = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        finally:
            with self._cond:
                self._done, self._running = generation, False
                self._cond.notify_all()
