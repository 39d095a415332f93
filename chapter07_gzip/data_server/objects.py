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

SHARD_FILE = chapter5.shard_file_pattern(r"(\.gz)?")
DECODE_ERRORS = (OSError, EOFError, isal_zlib.error, zlib.error)


class GzipShardStore(chapter5.ShardStore):
    """Chapter 5's shard store, reading plain and compressed shards alike."""
    pattern = SHARD_FILE

    def open_shard(self, key: str, index: int):
        file, crcs = super().open_shard(key, index)
        if file.name.endswith(".gz"):
            file.close()
            file = igzip.open(file.name, "rb")
        return file, crcs


class ShardsView(chapter5.ShardsView):
    """Sends a shard's uncompressed bytes, each block checked against its CRC."""

    def shard_length(self, path: Path, crcs: list[int]) -> int:
        if not path.name.endswith(".gz"):
            return super().shard_length(path, crcs)
        return uncompressed_size(path, len(crcs))

    def verified_blocks(self, file, path: Path, crcs: list[int], start: int):
        try:
            yield from super().verified_blocks(file, path, crcs, start)
        except DECODE_ERRORS:
            self.store.remove_corrupt(path)
            raise chapter5.ShardCorrupt(f"{path.name} does not decompress")

    def send_whole(self, file, path: Path):
        """A shard without checksums: hashed whole first; a compressed one streams without a length."""
        if not path.name.endswith(".gz"):
            return super().send_whole(file, path)
        try:
            shard_key, crcs = chapter5.summarize(file)
        except DECODE_ERRORS:
            shard_key, crcs = None, []
        file.close()
        if shard_key != SHARD_FILE.match(path.name).group(3):
            self.store.remove_corrupt(path)
            raise chapter5.ObjectNotFound(f"shard {path.name} was corrupt and has been removed")
        self.store.write_checksums(path.name, crcs)      # next time, block by block
        return self.get(path.name.split(".")[0] + "." + path.name.split(".")[1])


def uncompressed_size(path: Path, blocks: int) -> int:
    """The uncompressed size, from the gzip trailer (size mod 2**32) and the number of blocks."""
    if blocks == 0:
        return 0
    with open(path, "rb") as file:
        file.seek(-4, 2)
        modulo = int.from_bytes(file.read(4), "little")
    lowest = (blocks - 1) * chapter5.BLOCK_PER_SHARD + 1
    return modulo + max(0, -(-(lowest - modulo) // 2**32)) * 2**32
