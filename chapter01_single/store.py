"""Objects as files under ``STORAGE_ROOT/objects`` (book §4.1).

The server creates the folders it needs. A name becomes a path only after the containment check
(D8), and a PUT streams into ``temp/`` and renames, so readers never see half an object; the file
and the folder are fsynced before the PUT is answered (``durable``).
"""
import os
import uuid
from pathlib import Path
from typing import BinaryIO, Iterable

from chapter01_single.durable import Durability
from chapter01_single.errors import InvalidName, ObjectNotFound

CHUNK = 1 << 20   # bytes per read and write when streaming a body


class FileStore:
    """A folder of objects, one file per object name."""

    def __init__(self, root: str | os.PathLike, durable: Durability | None = None):
        self.root = Path(root).resolve()
        self.durable = durable or Durability()
        self.objects = self.root / "objects"
        self.temp = self.root / "temp"
        for folder in (self.objects, self.temp):
            folder.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        """The file of ``name``, which must lie directly inside ``objects/``."""
        path = self.objects / name
        if path.parent != self.objects or os.path.realpath(path.parent) != str(self.objects):
            raise InvalidName("the object name is not a plain file name")
        return path

    def exists(self, name: str) -> bool:
        """Whether an object called ``name`` is stored (an invalid name never is)."""
        try:
            return self.path(name).is_file()
        except (InvalidName, OSError, ValueError):   # e.g. a name too long for the file system
            return False

    def open(self, name: str) -> BinaryIO:
        """The stored object, opened for reading."""
        try:
            return open(self.path(name), "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(f"object {name!r} not found") from None

    def save(self, name: str, chunks: Iterable[bytes]) -> int:
        """Store ``chunks`` as ``name``, atomically; returns the number of bytes."""
        target = self.path(name)
        partial = self.temp / f"put-{uuid.uuid4()}"
        try:
            size = _write(partial, chunks, self.durable)
            os.replace(partial, target)
            self.durable.folder(self.objects)
        finally:
            partial.unlink(missing_ok=True)
        return size


def read_chunks(stream: BinaryIO, size: int = CHUNK) -> Iterable[bytes]:
    """Yield ``stream`` in chunks of at most ``size`` bytes until it ends."""
    while chunk := stream.read(size):
        yield chunk


def _write(path: Path, chunks: Iterable[bytes], durable: Durability) -> int:
    written = 0
    with open(path, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
            written += len(chunk)
        durable.file(out)
    return written
