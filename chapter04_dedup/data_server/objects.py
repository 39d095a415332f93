"""Content-addressed objects on a data server (book §4.4, fixed per D8, D14).

Go: ``chapter4/dataServer/objects/{handler,get,get_object,send}.go`` and ``locate/locate.go``.
An object is the file ``objects/<key>``, where ``key`` is its SHA-256 in URL-safe base64 (43
characters, validated before any path is built). The startup scan fills the locate set, ignoring
(and logging) foreign files; the file system stays the truth: a listed key whose file is gone is
dropped on the next look-up. A GET hashes the file first and never serves bytes that do not match
their name: the bad copy is removed and the answer is 404.
"""
import hashlib
import logging
import os
import threading
from pathlib import Path

from flask import request

from chapter01_single.app import Resource
from chapter01_single.durable import Durability
from chapter01_single.errors import BadRequest, ObjectNotFound
from chapter01_single.objects import file_response  # unchanged since chapter 1
from chapter01_single.store import CHUNK
from chapter03_metadata.common import digest

KEY = digest.KEY

log = logging.getLogger(__name__)


class InvalidKey(BadRequest):
    """Not an object key (43 characters of URL-safe base64)."""
    code = "InvalidKey"


def check_key(text: str) -> str:
    """``text`` if it is a well-formed key, else ``InvalidKey``."""
    if not KEY.match(text):
        raise InvalidKey(f"{text[:80]!r} is not an object key")
    return text


class ContentStore:
    """``STORAGE_ROOT/objects``, named by content, with an in-memory locate index."""

    def __init__(self, root: str | os.PathLike, durable: Durability | None = None):
        self.root = Path(root).resolve()
        self.durable = durable or Durability()
        self.objects, self.temp, self.garbage = self.root / "objects", self.root / "temp", self.root / "garbage"
        for folder in (self.objects, self.temp, self.garbage):
            folder.mkdir(parents=True, exist_ok=True)
        self._index: dict[str, set[str]] = {}     # key -> file names in objects/
        self._verified: dict[str, tuple] = {}     # path -> identity of the file last found good
        self._lock = threading.Lock()
        self.scan()

    def scan(self) -> None:
        """Rebuild the locate index from the files in ``objects/``."""
        index: dict[str, set[str]] = {}
        for entry in os.scandir(self.objects):
            key = self.key_of(entry.name)
            if key is None or not entry.is_file():
                log.warning("ignoring foreign file objects/%s", entry.name)
            else:
                index.setdefault(key, set()).add(entry.name)
        with self._lock:
            self._index = index

    def key_of(self, filename: str) -> str | None:
        """The key a file in ``objects/`` stores, or None for a foreign file."""
        return filename if KEY.match(filename) else None

    def path(self, key: str) -> Path:
        return self.objects / check_key(key)

    def files(self, key: str) -> list[str]:
        """The listed files of ``key`` that are still on disk (the disk is the truth)."""
        with self._lock:
            listed = sorted(self._index.get(key, ()))
        present = [name for name in listed if (self.objects / name).is_file()]
        for name in set(listed) - set(present):
            self.forget(name)
        return present

    def exists(self, key: str) -> bool:
        """Whether this server holds ``key`` (checked against the disk)."""
        return bool(self.files(key))

    def add(self, filename: str) -> None:
        """List a file just placed in ``objects/``."""
        with self._lock:
            self._index.setdefault(self.key_of(filename), set()).add(filename)

    def forget(self, filename: str) -> None:
        """Unlist a file of ``objects/`` (under its own key, D14)."""
        key = self.key_of(filename)
        with self._lock:
            names = self._index.get(key, set())
            names.discard(filename)
            if not names:
                self._index.pop(key, None)

    def open_verified(self, key: str):
        """The file of ``key``, opened, after checking that it hashes to ``key``."""
        path = self.path(key)
        try:
            file = open(path, "rb")
        except (FileNotFoundError, IsADirectoryError):
            self.forget(key)
            raise ObjectNotFound(f"object {key} not found") from None
        if not self.known_good(file) and not self.matches(key, file):
            file.close()
            self.remove_corrupt(path)
            raise ObjectNotFound(f"object {key} was corrupt and has been removed")
        self.mark_good(file)
        file.seek(0)
        return file

    def known_good(self, file) -> bool:
        """Whether this very file (inode, size, mtime) was already found to match its name."""
        return self._verified.get(file.name) == _identity(os.fstat(file.fileno()))

    def mark_good(self, file) -> None:
        self._verified[file.name] = _identity(os.fstat(file.fileno()))

    @staticmethod
    def matches(key: str, file) -> bool:
        """Whether the content of ``file`` hashes to ``key``."""
        return digest.key(digest.encode(_sha256(file))) == key

    def remove_corrupt(self, path: Path) -> None:
        """Take a file that does not match its name out of service: into ``garbage/``, never deleted
        (the operator may still want it; chapter 8's tool purges garbage after its retention)."""
        log.error("objects/%s does not match its name: moved to garbage/", path.name)
        self.forget(path.name)
        self.to_garbage(path)

    def to_garbage(self, path: Path) -> bool:
        """Move ``path`` into ``garbage/`` (its time set to the move); False if it was gone."""
        target = self.garbage / path.name
        try:
            os.replace(path, target)
        except FileNotFoundError:
            return False
        os.utime(target)
        return True


class ObjectsView(Resource):
    """``GET /objects/<key>``: only verified bytes leave the server."""

    def __init__(self, store: ContentStore):
        self.store = store

    def dispatch_request(self, **route_values):
        return super(Resource, self).dispatch_request(name=request.path[len(self.prefix):])

    def get(self, name: str):
        return file_response(self.store.open_verified(name))


def _identity(stat: os.stat_result) -> tuple:
    """What changes when a file is rewritten: any write that corrupts it changes its mtime."""
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _sha256(file) -> bytes:
    sha = hashlib.sha256()
    while chunk := file.read(CHUNK):
        sha.update(chunk)
    return sha.digest()
