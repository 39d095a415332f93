"""Shards gzip-compressed at rest (book §4.7, fixed per D19).

A compressed shard is ``objects/<key>.<i>.<shard key>.gz``: the name records the format, so a
plain shard (written by chapters 5-6, or one that did not shrink) is never mistaken for a corrupt
gzip file, as the book's chapter 7 did when it deleted every older shard on first read. The shard
key and the per-block CRCs are those of the uncompressed bytes, and are checked the same way;
data leaves the server uncompressed. A gzip stream that does not decode is corruption too.
"""
import zlib
from pathlib import Path

from isal import igzip, isal_zlib

from chapter05_erasure.data_server import objects as chapter5
from chapter07_gzip.common.forms import FORM_PATTERN

SHARD_FILE = chapter5.shard_file_pattern(FORM_PATTERN, r"(\.gz)?")
DECODE_ERRORS = (OSError, EOFError, isal_zlib.error, zlib.error)


class GzipShardStore(chapter5.ShardStore):
    """Chapter 5's shard store, reading plain and compressed shards alike, of plain and packed
    objects (``<key>.p.<i>``, ``common/forms.py``)."""
    pattern = SHARD_FILE
    name_pattern = chapter5.shard_name_pattern(FORM_PATTERN)

    def reader(self, path: Path):
        return igzip.open(path, "rb") if path.name.endswith(".gz") else super().reader(path)


class ShardsView(chapter5.ShardsView):
    """Sends a shard's uncompressed bytes, each block checked against its CRC."""

    def shard_length(self, path: Path, crcs: list[int]) -> int:
        if not path.name.endswith(".gz"):
            return super().shard_length(path, crcs)
        return uncompressed_size(path, len(crcs))

    def fits(self, path: Path, crcs: list[int]) -> bool:
        if not path.name.endswith(".gz"):
            return super().fits(path, crcs)
        return -(-uncompressed_size(path, len(crcs)) // chapter5.BLOCK_PER_SHARD) == len(crcs)

    def verified_blocks(self, file, path: Path, crcs: list[int], start: int):
        try:
            yield from super().verified_blocks(file, path, crcs, start)
        except DECODE_ERRORS:
            self.store.remove_corrupt(path)
            raise chapter5.ShardCorrupt(f"{path.name} does not decompress")


def uncompressed_size(path: Path, blocks: int) -> int:
    """The uncompressed size, from the gzip trailer (size mod 2**32) and the number of blocks (none:
    the trailer's size as it is)."""
    with open(path, "rb") as file:
        file.seek(-4, 2)
        modulo = int.from_bytes(file.read(4), "little")
    if blocks == 0:
        return modulo
    lowest = (blocks - 1) * chapter5.BLOCK_PER_SHARD + 1
    return modulo + max(0, -(-(lowest - modulo) // 2**32)) * 2**32
