"""Temp shards compressed at commit (book §4.7 ``temp/commit.go``).

The shard's hash and block CRCs (of the uncompressed bytes) come from chapter 5, kept while the
shard was appended. At commit the shard is gzipped with ISA-L at ``GZIP_LEVEL``, but only when
its first MiB shrinks by a tenth or more: random data and parity shards (whose bytes mix four
data shards and do not compress) are stored plain at once, without compressing them for nothing.
A compressed file also replaces the plain one only when it is smaller in the end.
"""
import os
from pathlib import Path

from isal import isal_zlib

from chapter01_single.store import CHUNK
from chapter04_dedup.data_server.temp import TempInfo
from chapter06_resumable.data_server.temp import ResumableTempStore

PROBE = 1 << 20         # bytes tried first
WORTH = 0.9             # compress only if the probe shrinks to at most this fraction


class GzipTempStore(ResumableTempStore):
    """Chapter 6's temps, committed compressed when that pays."""

    def __init__(self, objects, level: int = 1):
        super().__init__(objects)
        self.level = level

    def final_name(self, info: TempInfo, data: Path) -> str:
        shard_key, crcs = self.summary(info, data)
        filename = f"{info.Name}.{shard_key}"
        packed = data.with_suffix(".gz")
        if worth_compressing(data, self.level) and compress(data, packed, self.level) < data.stat().st_size:
            os.replace(packed, data)
            filename += ".gz"
        else:
            packed.unlink(missing_ok=True)
        self.objects.write_checksums(filename, crcs)
        return filename


def worth_compressing(source: Path, level: int) -> bool:
    """Whether the first ``PROBE`` bytes of ``source`` shrink to ``WORTH`` of their size."""
    with open(source, "rb") as plain:
        probe = plain.read(PROBE)
    return bool(probe) and len(isal_zlib.compress(probe, level)) <= WORTH * len(probe)


def compress(source: Path, target: Path, level: int) -> int:
    """Gzip ``source`` into ``target``, streaming; returns the compressed size."""
    packer = isal_zlib.compressobj(level, isal_zlib.DEFLATED, 31)
    with open(source, "rb") as plain, open(target, "wb") as out:
        while chunk := plain.read(CHUNK):
            out.write(packer.compress(chunk))
        out.write(packer.flush())
        return out.tell()
