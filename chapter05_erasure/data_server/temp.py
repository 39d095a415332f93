"""Temp shards (book §4.5): chapter 4's protocol, named ``<key>.<i>``, committed with checksums.

Go: ``chapter5/dataServer/temp/commit.go``. At commit the shard is read once to get its own hash
(the third part of its file name) and the CRC-32 of each block; the checksums are written before
the shard is renamed into ``objects/``.
"""
from pathlib import Path

from chapter04_dedup.data_server import temp as chapter4
from chapter05_erasure.data_server.objects import ShardStore, parse_shard_name, summarize


class ShardTempStore(chapter4.TempStore):
    """Temp objects that become shards."""
    objects: ShardStore
    hash_while_writing = False   # the shard is read once at commit for its hash and its CRCs

    def check_name(self, name: str) -> str:
        parse_shard_name(name)
        return name

    def final_name(self, info: chapter4.TempInfo, data: Path) -> str:
        with open(data, "rb") as file:
            shard_key, crcs = summarize(file)
        filename = f"{info.Name}.{shard_key}"
        self.objects.write_checksums(filename, crcs)
        return filename
