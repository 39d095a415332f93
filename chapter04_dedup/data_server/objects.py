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
import re
import threading
from pathlib import Path

from flask import request

from chapter01_single.app import Resource
from chapter01_single.errors import BadRequest, ObjectNotFound
from chapter01_single.objects import file_response  # unchanged since chapter 1
from chapter01_single.store import CHUNK
from chapter03_metadata.common import digest

KEY = re.compile(r"[A-Za-z0-9_-]{43}\Z")

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
    """``STORAGE_ROOT/objects``, named by content, with an in-memory locate set."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()
        self.objects, self.temp = self.root / "objects", self.root / "temp"
        for folder in (self.objects, self.temp):
            folder.mkdir(parents=True, exist_ok=True)
        self._keys: set[str] = set()
        self._lock = threading.Lock()
        self.scan()

    def scan(self) -> None:
        """Rebuild the locate set from the files in ``objects/``."""
        keys = set()
        for entry in os.scandir(self.objects):
            key = self.key_of(entry.name)
            if key is None or not entry.is_file():
                log.warning("ignoring foreign file objects/%s", entry.name)
            else:
                keys.add(key)
        with self._lock:
            self._keys = keys

    def key_of(self, filename: str) -> str | None:
        """The key a file in ``objects/`` stores, or None for a foreign file."""
        return filename if KEY.match(filename) else None

    def path(self, key: str) -> Path:
        return self.objects / check_key(key)

    def exists(self, key: str) -> bool:
        """Whether this server holds ``key`` (checked against the disk)."""
        if not KEY.match(key):
            return False
        with self._lock:
            listed = key in self._keys
        if listed and not self.path(key).is_file():
            self.forget(key)
            return False
        return listed

    def add(self, key: str) -> None:
        with self._lock:
            self._keys.add(key)

    def forget(self, key: str) -> None:
        with self._lock:
            self._keys.discard(key)

    def open_verified(self, key: str):
        """The file of ``key``, opened, after checking that it hashes to ``key``."""
        path = self.path(key)
        try:
            file = open(path, "rb")
        except (FileNotFoundError, IsADirectoryError):
            self.forget(key)
            raise ObjectNotFound(f"object {key} not found") from None
        if not self.matches(key, file):
            file.close()
            self.remove_corrupt(key, path)
            raise ObjectNotFound(f"object {key} was corrupt and has been removed")
        file.seek(0)
        return file

    @staticmethod
    def matches(key: str, file) -> bool:
        """Whether the content of ``file`` hashes to ``key``."""
        return digest.key(digest.encode(_sha256(file))) == key

    def remove_corrupt(self, key: str, path: Path) -> None:
        log.error("objects/%s does not hash to its name: removing it", path.name)
        self.forget(key)
        path.unlink(missing_ok=True)


class ObjectsView(Resource):
    """``GET /objects/<key>``: only verified bytes leave the server."""

    def __init__(self, store: ContentStore):
        self.store = store

    def dispatch_request(self, **route_values):
        return super(Resource, self).dispatch_request(name=request.path[len(self.prefix):])

    def get(self, name: str):
        return file_response(self.store.open_verified(name))


def _sha256(file) -> bytes:
    sha = hashlib.sha256()
    while chunk := file.read(CHUNK):
        sha.update(chunk)
    return sha.digest()
