"""Temp shards (book §4.5): chapter 4's protocol, named ``<key>.<i>``, committed with checksums.

Go: ``chapter5/dataServer/temp/commit.go``. The book reads the shard at commit to get its own hash
(the third part of its file name); here the hash and the CRC-32 of each block are computed while
the shard is appended (read again only if that was not possible), and the checksums are written
before the shard is renamed into ``objects/``.
"""
from pathlib import Path

from chapter04_dedup.data_server import temp as chapter4
from chapter05_erasure.data_server.objects import ShardStore, ShardSummary, summarize


class ShardTempStore(chapter4.TempStore):
    """Temp objects that become shards."""
    objects: ShardStore

    def check_name(self, name: str) -> str:
        self.objects.parse_name(name)
        return name

    def new_digest(self) -> ShardSummary:
        return ShardSummary()

    def summary(self, info: chapter4.TempInfo, data: Path) -> tuple[str, list[int]]:
        """(shard key, block CRCs) of the complete temp: kept from the appends, else read."""
        kept = self.kept_digest(info.Uuid, data)
        if kept is not None:
            return kept.result()
        with open(data, "rb") as file:
            return summarize(file)

    def final_name(self, info: chapter4.TempInfo, data: Path) -> str:
        shard_key, crcs = self.summary(info, data)
        filename = f"{info.Name}.{shard_key}"
        self.objects.write_checksums(filename, crcs)
        return filename
