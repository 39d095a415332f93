"""Temp shards compressed at commit (book §4.7 ``temp/commit.go``).

The shard is read once for its hash and block CRCs (of the uncompressed bytes) and compressed
with ISA-L's gzip at ``GZIP_LEVEL``; the compressed file replaces the plain one only when it is
smaller, so incompressible data costs no more than a plain shard.
"""
import os
from pathlib import Path

from isal import isal_zlib

from chapter01_single.store import CHUNK
from chapter04_dedup.data_server.temp import TempInfo
from chapter05_erasure.data_server.objects import summarize
from chapter06_resumable.data_server.temp import ResumableTempStore


class GzipTempStore(ResumableTempStore):
    """Chapter 6's temps, committed compressed when that pays."""

    def __init__(self, objects, level: int = 1):
        super().__init__(objects)
        self.level = level

    def final_name(self, info: TempInfo, data: Path) -> str:
        with open(data, "rb") as file:
            shard_key, crcs = summarize(file)
        filename = f"{info.Name}.{shard_key}"
        packed = data.with_suffix(".gz")
        if compress(data, packed, self.level) < data.stat().st_size:
            os.replace(packed, data)
            filename += ".gz"
        else:
            packed.unlink()
        self.objects.write_checksums(filename, crcs)
        return filename


def compress(source: Path, target: Path, level: int) -> int:
    """Gzip ``source`` into ``target``, streaming; returns the compressed size."""
    packer = isal_zlib.compressobj(level, isal_zlib.DEFLATED, 31)
    with open(source, "rb") as plain, open(target, "wb") as out:
        while chunk := plain.read(CHUNK):
            out.write(packer.compress(chunk))
        out.write(packer.flush())
        return out.tell()
