"""Temp objects on a data server (book §4.4, fixed per D5, D8, D13).

Go: ``chapter4/dataServer/temp/{handler,post,patch,put,del,commit}.go``. ``POST /temp/<name>``
with ``size: <n>`` opens an upload and answers its uuid; ``PATCH /temp/<uuid>`` appends the body
(any length, never past the declared size: checked while streaming); ``PUT /temp/<uuid>`` commits
it into ``objects/`` when it is complete and its content matches its name; ``DELETE`` drops it.
On disk: ``temp/<uuid>.json`` (``{"Uuid","Name","Size"}``) and ``temp/<uuid>.dat``.
"""
import hashlib
import json
import logging
import os
import re
import threading
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from flask import Response, request

from chapter01_single.app import Resource
from chapter01_single.body import request_stream
from chapter01_single.errors import BadRequest, ObjectNotFound, StorageError
from chapter01_single.store import CHUNK
from chapter03_metadata.common import digest
from chapter04_dedup.data_server.objects import ContentStore, check_key

log = logging.getLogger(__name__)


class InvalidUuid(BadRequest):
    """Not a temp-object id (a canonical lower-case UUID)."""
    code = "InvalidUuid"


class TempOverflow(StorageError):
    """The data would grow the temp object past its declared size; the upload is dropped."""
    status, code = 413, "EntityTooLarge"


class TempIncomplete(BadRequest):
    """The temp object does not have its declared size, or its content does not match its name."""
    code = "TempIncomplete"


@dataclass
class TempInfo:
    """What ``POST /temp/`` recorded: the book's ``{"Uuid","Name","Size"}``."""
    Uuid: str
    Name: str
    Size: int


class TempStore:
    """``STORAGE_ROOT/temp``: uploads in progress, committed into a ``ContentStore``."""

    def __init__(self, objects: ContentStore):
        self.objects = objects
        self.folder = objects.temp
        self._locks: dict[str, threading.RLock] = {}
        self._hashes: dict = {}     # temp id -> (running digest, bytes it covers): no re-read at commit
        self._guard = threading.Lock()

    def create(self, name: str, size: int) -> TempInfo:
        """Open an upload of ``size`` bytes that will become ``name``."""
        info = TempInfo(str(uuid.uuid4()), self.check_name(name), size)
        self._dat(info.Uuid).touch()
        self._info_path(info.Uuid).write_text(json.dumps(asdict(info)))
        return info

    def check_name(self, name: str) -> str:
        """The object name a temp may become (chapter 4: a key)."""
        return check_key(name)

    def info(self, temp_id: str) -> TempInfo:
        try:
            return TempInfo(**json.loads(self._info_path(check_uuid(temp_id)).read_text()))
        except FileNotFoundError:
            raise ObjectNotFound(f"no temp object {temp_id}") from None

    def append(self, temp_id: str, stream) -> int:
        """Append ``stream`` to the temp; returns its new size. Overflow drops the upload."""
        info = self.info(temp_id)
        with self.lock(temp_id), self._open_dat(temp_id) as out:
            start = out.seek(0, os.SEEK_END)
            room, sha = info.Size - start, self._hasher(temp_id, start)
            try:
                while chunk := stream.read(min(CHUNK, room + 1)):
                    if len(chunk) > room:
                        out.close()
                        self.remove(temp_id)
                        raise TempOverflow(f"more than the declared {info.Size} bytes")
                    out.write(chunk)
                    sha.update(chunk)
                    room -= len(chunk)
            finally:
                if not out.closed and not isinstance(sha, _Unknown):
                    self._hashes[temp_id] = (sha, out.tell())
            return info.Size - room

    def size(self, temp_id: str) -> int:
        try:
            return self._dat(check_uuid(temp_id)).stat().st_size
        except FileNotFoundError:
            raise ObjectNotFound(f"no temp object {temp_id}") from None

    def commit(self, temp_id: str) -> str:
        """Move a complete temp into ``objects/``; returns the file name it got."""
        info = self.info(temp_id)
        with self.lock(temp_id):
            data = self._dat(temp_id)
            if self.size(temp_id) != info.Size:
                self.remove(temp_id)
                raise TempIncomplete(f"temp {temp_id} is not {info.Size} bytes long")
            filename = self.final_name(info, data)
            with open(data, "rb") as written:
                self.objects.durable.file(written)        # the bytes, before the name points at them
            os.replace(data, self.objects.objects / filename)
            self.remove(temp_id)
        self.objects.durable.folder(self.objects.objects)  # the name, before the commit is answered
        self.objects.add(filename)
        return filename

    def final_name(self, info: TempInfo, data: Path) -> str:
        """The file name in ``objects/`` (chapter 4: the key, checked against the content)."""
        if not self._hashed_matches(info, data):
            self.remove(info.Uuid)
            raise TempIncomplete(f"temp {info.Uuid} does not hash to {info.Name}")
        return info.Name

    def _hashed_matches(self, info: TempInfo, data: Path) -> bool:
        """Whether the temp hashes to its name: from the hash kept while appending, else by reading."""
        sha = self.kept_digest(info.Uuid, data)
        if sha is not None:
            return digest.key(digest.encode(sha.digest())) == info.Name
        with open(data, "rb") as file:
            return self.objects.matches(info.Name, file)

    def new_digest(self):
        """What appends keep running over a temp's bytes (chapter 4: its SHA-256; chapter 5 adds CRCs)."""
        return hashlib.sha256()

    def kept_digest(self, temp_id: str, data: Path):
        """The digest kept while appending, if it covers all of ``data``; else None (read the file)."""
        sha, hashed = self._hashes.pop(temp_id, (None, -1))
        return sha if sha is not None and hashed == data.stat().st_size else None

    def _hasher(self, temp_id: str, size: int):
        """The running digest of the temp's first ``size`` bytes (a fresh one when it cannot be had)."""
        sha, hashed = self._hashes.pop(temp_id, (None, -1))
        if sha is not None and hashed == size:
            return sha
        return self.new_digest() if size == 0 else _Unknown()

    def remove(self, temp_id: str) -> None:
        """Drop both files; waits for a PATCH in progress, so none re-creates them."""
        with self.lock(check_uuid(temp_id)):
            for path in (self._dat(temp_id), self._info_path(temp_id)):
                path.unlink(missing_ok=True)
        self.forget(temp_id)

    def forget(self, temp_id: str) -> None:
        """Let go of what memory holds for a temp that is gone (its lock, its running digest)."""
        with self._guard:
            self._locks.pop(temp_id, None)
        self._hashes.pop(temp_id, None)

    def lock(self, temp_id: str) -> threading.RLock:
        """One writer at a time per temp object."""
        with self._guard:
            return self._locks.setdefault(temp_id, threading.RLock())

    def _open_dat(self, temp_id: str):
        """The data file for appending; never re-creates one that was dropped."""
        try:
            return open(self._dat(temp_id), "r+b")
        except FileNotFoundError:
            raise ObjectNotFound(f"no temp object {temp_id}") from None

    def _info_path(self, temp_id: str) -> Path:
        return self.folder / f"{temp_id}.json"

    def _dat(self, temp_id: str) -> Path:
        return self.folder / f"{temp_id}.dat"


class TempView(Resource):
    """``/temp/<name or uuid>``: the temp-object protocol."""
    prefix = "/temp/"

    def __init__(self, temps: TempStore):
        self.temps = temps

    def dispatch_request(self, **route_values):
        return super(Resource, self).dispatch_request(name=request.path[len(self.prefix):])

    def post(self, name: str):
        info = self.temps.create(name, size_header())
        return Response(info.Uuid, mimetype="text/plain")

    def patch(self, name: str):
        self.temps.append(name, request_stream())
        return Response(status=200)

    def put(self, name: str):
        self.temps.commit(name)
        return Response(status=200)

    def delete(self, name: str):
        self.temps.remove(name)
        return Response(status=200)


class _Unknown:
    """A hash of a temp whose beginning was not seen: never matches, so commit reads the file."""

    def update(self, data) -> None:
        pass


def check_uuid(text: str) -> str:
    """``text`` if it is a canonical uuid, else ``InvalidUuid``."""
    try:
        if str(uuid.UUID(text)) == text:
            return text
    except ValueError:
        pass
    raise InvalidUuid(f"{text[:80]!r} is not a temp-object id")


def size_header() -> int:
    """The ``size`` header: a whole number of bytes."""
    text = request.headers.get("size", "")
    if not re.fullmatch(r"[0-9]{1,18}", text):
        raise BadRequest("a size: <bytes> header is required")
    return int(text)
