"""Temp shards compressed at commit (book §4.7 ``temp/commit.go``).

The shard's hash and block CRCs (of the uncompressed bytes) come from chapter 5, kept while the
shard was appended. At commit the shard is gzipped with ISA-L at ``GZIP_LEVEL``, but only when
its first MiB shrinks by a tenth or more: random data and parity shards (whose bytes mix four
data shards and do not compress) are stored plain at once, without compressing them for nothing.
A compressed file also replaces the plain one only when it is smaller in the end.
"""
import json
import os
from dataclasses import asdict, replace
from pathlib import Path

from flask import request
from isal import isal_zlib

from chapter01_single.errors import BadRequest
from chapter01_single.store import CHUNK
from chapter04_dedup.data_server.temp import TempInfo, size_header
from chapter06_resumable.data_server import temp as chapter6
from chapter06_resumable.data_server.temp import ResumableTempStore
from chapter07_gzip.common.encoding import PROBE, shrinks



class GzipTempStore(ResumableTempStore):
    """Chapter 6's temps, committed compressed when that pays."""

    def __init__(self, objects, level: int = 1):
        super().__init__(objects)
        self.level = level

    def end_at(self, temp_id: str, size: int) -> None:
        """Make ``size`` (at most the declared size) the length the temp must have at commit."""
        info = self.info(temp_id)
        if size > info.Size:
            raise BadRequest(f"temp {temp_id} was opened for {info.Size} bytes, not {size}")
        with self.lock(temp_id):
            self._info_path(temp_id).write_text(json.dumps(asdict(replace(info, Size=size))))

    def final_name(self, info: TempInfo, data: Path) -> str:
        shard_key, crcs = self.summary(info, data)
        filename = f"{info.Name}.{shard_key}"
        packed = data.with_suffix(".gz")
        if worth_compressing(data, self.level) and compress(data, packed, self.level, self.objects.durable) \
                < data.stat().st_size:
            os.replace(packed, data)
            filename += ".gz"
        else:
            packed.unlink(missing_ok=True)
        self.objects.write_checksums(filename, crcs)
        return filename


class TempView(chapter6.TempView):
    """Chapter 6's temp protocol; a commit may say the length the temp ended at."""

    def put(self, name: str):
        """``PUT /temp/<uuid>`` with ``size: <n>``: the api's gzipped shards use less than their room."""
        if "size" in request.headers:
            self.temps.end_at(name, size_header())
        return super().put(name)


def worth_compressing(source: Path, level: int) -> bool:
    """Whether the first ``PROBE`` bytes of ``source`` shrink to ``WORTH`` of their size."""
    with open(source, "rb") as plain:
        probe = plain.read(PROBE)
    return shrinks(probe, level)


def compress(source: Path, target: Path, level: int, durable) -> int:
    """Gzip ``source`` into ``target``, streaming, synced; returns the compressed size."""
    packer = isal_zlib.compressobj(level, isal_zlib.DEFLATED, 31)
    with open(source, "rb") as plain, open(target, "wb") as out:
        while chunk := plain.read(CHUNK):
            out.write(packer.compress(chunk))
        out.write(packer.flush())
        durable.file(out)
        return out.tell()
