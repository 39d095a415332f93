"""Resumable temp shards (book §4.6, fixed per D7, D12, D20).

Go: ``chapter6/dataServer/temp/{handler,head,get}.go``. Adds ``HEAD /temp/<uuid>`` (Content-Length
= bytes so far) and ``GET /temp/<uuid>`` (the bytes so far), and a ``PATCH`` that may name the
shard ``offset`` it writes at: the temp is cut back to it first (so six shards that drifted apart
after a failure line up again), and a PATCH that finds another one writing the same temp is
refused with 409 instead of interleaving. The sweeper removes temps untouched for ``UPLOAD_TTL``.

Beyond the book, every temp has a version that changes whenever its bytes may change: HEAD, GET
and PATCH answer it in ``Temp-Version`` (PATCH also the version it found, ``Temp-Version-Before``),
and a commit that names one (``Temp-Version`` on the ``PUT``) is refused with 412 when the temp
changed since. The api commits only the bytes it checked, even when two requests write one upload.
"""
import logging
import os
import re
import threading
import time
import uuid
from pathlib import Path

from flask import Response, request

from chapter01_single.body import request_stream
from chapter01_single.errors import BadRequest, StorageError
from chapter01_single.objects import file_response  # unchanged since chapter 1
from chapter04_dedup.data_server import temp as chapter4
from chapter05_erasure.data_server import temp as chapter5
from chapter06_resumable.common.headers import BEFORE, VERSION

log = logging.getLogger(__name__)


class TempBusy(StorageError):
    """Another request is writing this temp object; try again."""
    status, code = 409, "UploadBusy"


class TempOffsetInvalid(StorageError):
    """The offset is past the end of the temp object."""
    status, code = 416, "InvalidOffset"


class TempChanged(StorageError):
    """The temp was written after the version the commit names: its bytes are not the ones checked."""
    status, code = 412, "PreconditionFailed"



class ResumableTempStore(chapter5.ShardTempStore):
    """Chapter 5's temp shards, writable at an offset, versioned and swept when abandoned."""

    def __init__(self, objects):
        super().__init__(objects)
        self._boot = uuid.uuid4().hex[:8]       # versions of an earlier run never match this one's
        self._versions: dict[str, int] = {}

    def version(self, temp_id: str) -> str:
        """The temp's current version (read it before reading the bytes it names)."""
        return f"{self._boot}-{self._versions.get(temp_id, 0)}"

    def _bump(self, temp_id: str) -> None:
        if self._dat(temp_id).exists():      # a temp dropped meanwhile (overflow) keeps no version
            with self._guard:
                self._versions[temp_id] = self._versions.get(temp_id, 0) + 1

    def append(self, temp_id: str, stream) -> int:
        """Chapter 4's append; the version changes before the first byte and after the last, so
        a version read while it ran is never the version of the finished bytes."""
        self.info(temp_id)
        with self.lock(temp_id):
            self._bump(temp_id)
            try:
                return super().append(temp_id, stream)
            finally:
                self._bump(temp_id)

    def write_at(self, temp_id: str, offset: int, stream) -> tuple[str, str]:
        """Cut the temp back to ``offset`` and append ``stream``; refuses a concurrent writer.
        Returns the versions before and after."""
        self.info(temp_id)              # a uuid (400) of a temp that exists (404), before anything else
        lock = self.lock(temp_id)
        if not lock.acquire(blocking=False):
            raise TempBusy(f"temp {temp_id} is being written")
        try:
            before = self.version(temp_id)
            self._bump(temp_id)
            with self._open_dat(temp_id) as out:
                if offset > out.seek(0, os.SEEK_END):
                    raise TempOffsetInvalid(f"temp {temp_id} is shorter than {offset} bytes")
                out.truncate(offset)
            self.append(temp_id, stream)
            return before, self.version(temp_id)
        finally:
            lock.release()

    def commit_version(self, temp_id: str, version: str) -> str:
        """Commit the temp if it is still at ``version``; one being written is not (its version
        is about to change), and the commit does not wait for it."""
        self.info(temp_id)
        lock = self.lock(temp_id)
        if not lock.acquire(blocking=False):
            raise TempChanged(f"temp {temp_id} is being written")
        try:
            if self.version(temp_id) != version:
                raise TempChanged(f"temp {temp_id} changed after version {version}")
            return self.commit(temp_id)
        finally:
            lock.release()

    def forget(self, temp_id: str) -> None:
        super().forget(temp_id)
        with self._guard:
            self._versions.pop(temp_id, None)

    def open_data(self, temp_id: str):
        """The temp's bytes so far, opened for reading."""
        self.info(temp_id)
        return self._open_dat(temp_id)

    def sweep(self, ttl: float) -> int:
        """Remove temp files untouched for ``ttl`` seconds and not being written; returns how many."""
        limit, removed = time.time() - ttl, 0
        for entry in os.scandir(self.folder):
            temp_id = entry.name.split(".")[0]
            try:
                if entry.stat().st_mtime > limit or self._busy(temp_id):
                    continue
            except FileNotFoundError:
                continue
            Path(entry.path).unlink(missing_ok=True)
            self.forget(temp_id)
            removed += 1
        return removed

    def _busy(self, temp_id: str) -> bool:
        with self._guard:
            lock = self._locks.get(temp_id)
        if lock is None or not lock.acquire(blocking=False):
            return lock is not None
        lock.release()
        return False


class TempView(chapter4.TempView):
    """Chapter 4's temp protocol plus HEAD, GET and PATCH at an offset."""

    def head(self, name: str):
        version = self.temps.version(name)
        response = Response(status=200, headers={VERSION: version})
        response.content_length = self.temps.size(name)
        return response

    def get(self, name: str):
        version = self.temps.version(name)
        response = file_response(self.temps.open_data(name))
        response.headers[VERSION] = version
        return response

    def patch(self, name: str):
        offset = request.headers.get("offset")
        if offset is None:
            return super().patch(name)
        if not re.fullmatch(r"[0-9]{1,18}", offset):
            raise BadRequest("offset must be a whole number of bytes")
        before, after = self.temps.write_at(name, int(offset), request_stream())
        return Response(status=200, headers={BEFORE: before, VERSION: after})

    def put(self, name: str):
        version = request.headers.get(VERSION)
        if version is None:
            return super().put(name)
        self.temps.commit_version(name, version)
        return Response(status=200)


class TempSweeper(threading.Thread):
    """Removes abandoned temps every little while (D12)."""

    def __init__(self, temps: ResumableTempStore, ttl: float):
        super().__init__(name="temp-sweeper", daemon=True)
        self.temps, self.ttl = temps, ttl
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(min(60.0, max(self.ttl / 2, 0.5))):
            try:
                if removed := self.temps.sweep(self.ttl):
                    log.info("swept %d abandoned temp files", removed)
            except OSError:
                log.exception("sweeping temp/ failed")

    def stop(self) -> None:
        self.stopping.set()
