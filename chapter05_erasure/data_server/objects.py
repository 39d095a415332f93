"""Shards on a data server (book §4.5, fixed per D13, D14).

Go: ``chapter5/dataServer/{locate/locate.go, objects/get_object.go, temp/commit.go}``. A shard is
``objects/<key>.<i>.<shard key>`` (the shard's own SHA-256 in the same URL-safe base64), exactly
the book's bytes. Beside it, ``checksums/<same name>`` holds a CRC-32 of every 8000-byte block, so
a GET streams at once and checks each block before it leaves: a corrupt block is never sent. A
block that fails, or checksums that are missing or do not fit the shard, send the whole shard to
be hashed against the SHA-256 its name carries (``recheck``, the book's check): a shard that
matches only had damaged checksums, which are written anew; one that does not is moved to
``garbage/`` (never deleted) and the connection is cut, which the api sees as a missing shard.

    objects/<key>.0.<k0>  objects/<key>.1.<k1> ...   one server may hold several indexes of a key
    checksums/<key>.0.<k0>                            big-endian CRC-32 per 8000-byte block
"""
import hashlib
import logging
import re
import struct
import uuid
from pathlib import Path

from flask import Response, request
from isal.isal_zlib import crc32     # zlib's CRC-32, four times faster (ISA-L)

from chapter01_single.errors import BadRequest, ObjectNotFound
from chapter01_single.store import CHUNK
from chapter03_metadata.common import digest
from chapter04_dedup.data_server import objects as chapter4
from chapter05_erasure.common.rs import BLOCK_PER_SHARD


def shard_file_pattern(form: str = "", suffix: str = "") -> re.Pattern:
    """``<key><form>.<i>.<shard key><suffix>``, with the groups key, form, index and shard (its key)."""
    return re.compile(rf"(?P<key>{digest.KEY_TEXT})(?P<form>{form})\.(?P<index>[0-5])\."
                      rf"(?P<shard>{digest.KEY_TEXT}){suffix}\Z")


def shard_name_pattern(form: str = "") -> re.Pattern:
    """``<key><form>.<i>``: a shard as the api names it (in URLs and temps)."""
    return re.compile(rf"(?P<key>{digest.KEY_TEXT})(?P<form>{form})\.(?P<index>[0-5])\Z")


SHARD_FILE = shard_file_pattern()
SHARD_NAME = shard_name_pattern()
CRC = struct.Struct(">I")
BLOCKS_PER_READ = 32
FIRST_READ = 2          # blocks of the first read: the response (and its headers) leaves sooner

log = logging.getLogger(__name__)


class ShardStore(chapter4.ContentStore):
    """Shard files, indexed by object key; a key may have several shard indexes here."""
    pattern = SHARD_FILE        # the file names this store reads (chapter 7 adds ``.gz`` and a form)
    name_pattern = SHARD_NAME   # the shard names it answers to

    def parse_name(self, text: str) -> tuple[str, str, int]:
        """``<key><form>.<i>`` → (key, form, i), or ``InvalidKey``."""
        match = self.name_pattern.match(text)
        if not match:
            raise chapter4.InvalidKey(f"{text[:90]!r} is not <key>.<shard index>")
        return match.group("key"), match.group("form"), int(match.group("index"))

    def __init__(self, root, durable=None):
        super().__init__(root, durable)
        self.checksums = self.root / "checksums"
        self.checksums.mkdir(exist_ok=True)

    def key_of(self, filename: str) -> str | None:
        match = self.pattern.match(filename)
        return match.group("key") if match else None

    def shards(self, key: str, form: str = "") -> dict[int, str]:
        """Shard index → file name, for the shards of ``key`` (in ``form``) on this server."""
        matches = [self.pattern.match(name) for name in self.files(key)]
        return {int(m.group("index")): m.string for m in matches if m.group("form") == form}

    def open_shard(self, key: str, index: int, form: str = ""):
        """(open file, its block CRCs or None) of shard ``index`` of ``key`` (in ``form``)."""
        name = self.shards(key, form).get(index)
        if name is None:
            raise ObjectNotFound(f"no shard {index} of {key} here")
        try:
            file = self.reader(self.objects / name)
        except FileNotFoundError:
            self.forget(name)
            raise ObjectNotFound(f"no shard {index} of {key} here") from None
        return file, self.read_checksums(name)

    def reader(self, path: Path):
        """The shard's bytes, opened for reading (chapter 7: decompressed)."""
        return open(path, "rb")

    def read_checksums(self, name: str) -> list[int] | None:
        try:
            raw = (self.checksums / name).read_bytes()
        except FileNotFoundError:
            return None
        return [value for (value,) in CRC.iter_unpack(raw[:len(raw) // 4 * 4])]

    def write_checksums(self, name: str, crcs: list[int]) -> None:
        partial = self.checksums / f".{name}.{uuid.uuid4().hex}.part"   # two commits of one shard may race
        with open(partial, "wb") as out:
            out.write(b"".join(CRC.pack(c) for c in crcs))
            self.durable.file(out)
        partial.replace(self.checksums / name)
        self.durable.folder(self.checksums)

    def recheck(self, path: Path) -> list[int]:
        """Hash a shard whose checksums are missing or do not fit against the SHA-256 its name
        carries: if it matches, only the checksums were damaged, and they are written anew (and
        returned); else the shard is taken out of service (garbage) and this is ``ShardCorrupt``."""
        try:
            with self.reader(path) as file:
                shard_key, crcs = summarize(file)
        except FileNotFoundError:
            raise ShardCorrupt(f"{path.name} is gone") from None
        except Exception as error:      # e.g. a compressed shard that does not decompress
            shard_key, crcs = f"unreadable ({error.__class__.__name__})", []
        if shard_key != self.pattern.match(path.name).group("shard"):
            self.remove_corrupt(path)
            raise ShardCorrupt(f"{path.name} does not hash to its name")
        log.warning("the checksums of %s were missing or damaged: written anew from the shard", path.name)
        self.write_checksums(path.name, crcs)
        return crcs

    def remove_corrupt(self, path: Path) -> None:
        super().remove_corrupt(path)
        (self.checksums / path.name).unlink(missing_ok=True)


class ShardSummary:
    """A shard's SHA-256 and the CRC-32 of each 8000-byte block, fed in pieces of any size."""

    def __init__(self):
        self.sha, self.crcs, self.tail = hashlib.sha256(), [], b""

    def update(self, data) -> None:
        self.sha.update(data)
        view = memoryview(data)
        if self.tail:                               # finish the block the last piece began
            need = BLOCK_PER_SHARD - len(self.tail)
            self.tail += view[:need]
            view = view[need:]
            if len(self.tail) < BLOCK_PER_SHARD:
                return
            self.crcs.append(crc32(self.tail))
            self.tail = b""
        whole = len(view) - len(view) % BLOCK_PER_SHARD
        self.crcs.extend(crc32(view[at:at + BLOCK_PER_SHARD]) for at in range(0, whole, BLOCK_PER_SHARD))
        self.tail = bytes(view[whole:])

    def result(self) -> tuple[str, list[int]]:
        """(shard key, block CRCs) of everything fed so far."""
        crcs = self.crcs + [crc32(self.tail)] if self.tail else list(self.crcs)
        return digest.key(digest.encode(self.sha.digest())), crcs


def summarize(file) -> tuple[str, list[int]]:
    """(shard key, block CRCs) of a shard file, in one read."""
    summary = ShardSummary()
    while chunk := file.read(CHUNK):
        summary.update(chunk)
    return summary.result()


class ShardsView(chapter4.ObjectsView):
    """``GET /objects/<key>.<i>``, optionally from ``Range: bytes=<n>-``."""

    def get(self, name: str):
        key, form, index = self.store.parse_name(name)
        file, crcs = self.store.open_shard(key, index, form)
        path = Path(file.name)
        if crcs is None or not self.fits(path, crcs):
            crcs = self.recheck(file, path)
        size = self.shard_length(path, crcs)
        start = range_start(size)
        response = Response(self.verified_blocks(file, path, crcs, start), mimetype="application/octet-stream",
                            status=206 if start else 200, direct_passthrough=True)
        response.content_length = size - start
        if start:
            response.headers["Content-Range"] = f"bytes {start}-{size - 1}/{size}"
        return response

    def shard_length(self, path: Path, crcs: list[int]) -> int:
        """Bytes in the shard (chapter 7: of the uncompressed shard)."""
        return path.stat().st_size

    def fits(self, path: Path, crcs: list[int]) -> bool:
        """Whether there is one checksum per block of the shard (else the checksums are damaged)."""
        return len(crcs) == -(-path.stat().st_size // BLOCK_PER_SHARD)

    def recheck(self, file, path: Path) -> list[int]:
        """The store's ``recheck`` before anything is sent: a shard that is not what its name says
        is a 404 (the api reads the others and repairs it)."""
        try:
            return self.store.recheck(path)
        except ShardCorrupt as error:
            file.close()
            raise ObjectNotFound(str(error)) from None

    def verified_blocks(self, file, path: Path, crcs: list[int], start: int):
        """The shard from byte ``start``, each 8000-byte block checked before it is sent. A block
        that fails its CRC sends the shard to ``recheck``: damaged checksums are rewritten and the
        sending goes on; a damaged shard cuts the connection."""
        number = start // BLOCK_PER_SHARD
        skip = start - number * BLOCK_PER_SHARD
        file.seek(number * BLOCK_PER_SHARD)
        with file:
            blocks = FIRST_READ
            while data := read_full(file, BLOCK_PER_SHARD * blocks):
                blocks = BLOCKS_PER_READ
                view = memoryview(data)
                for offset in range(0, len(data), BLOCK_PER_SHARD):
                    block = view[offset:offset + BLOCK_PER_SHARD]
                    if number >= len(crcs) or crc32(block) != crcs[number]:
                        crcs = self.store.recheck(path)      # ShardCorrupt when the shard is bad
                        if number >= len(crcs) or crc32(block) != crcs[number]:
                            raise ShardCorrupt(f"block {number} of {path.name} changed while it was read")
                    number += 1
                yield data[skip:] if skip else data
                skip = 0


def read_full(file, size: int) -> bytes:
    """Up to ``size`` bytes, short only at the end (a decompressing reader may return less)."""
    data = file.read(size)
    while 0 < len(data) < size and (more := file.read(size - len(data))):
        data += more
    return data


class ShardCorrupt(Exception):
    """Raised mid-stream: the server cuts the connection, so no corrupt byte is sent."""


def range_start(size: int) -> int:
    """The ``n`` of ``Range: bytes=<n>-`` (0 without a Range), within the shard."""
    header = request.headers.get("Range")
    if not header:
        return 0
    match = re.fullmatch(r"bytes=(\d{1,18})-", header.strip())
    if not match or int(match.group(1)) > size:
        raise BadRequest(f"unsupported shard range {header!r}")
    return int(match.group(1))
