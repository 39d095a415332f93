"""``DELETE /objects/<key>``: move a key's shards to ``garbage/`` (book §4.8, fixed per D8, D14).

Go: ``chapter8/dataServer/objects/{handler,del}.go``. The book globbed ``<hash>.*`` and did nothing
unless exactly one file matched; here the exact shard files the index lists for a validated key
are moved (with their checksums), the index forgets them, and the answer is 200 whether or not
anything was there (idempotent). A moved file's time is set to the move, so ``GARBAGE_RETENTION``
counts from then.
"""
import logging
import os

from flask import Response

from chapter04_dedup.data_server.objects import check_key
from chapter07_gzip.data_server import objects as chapter7

log = logging.getLogger(__name__)


class GarbageShardStore(chapter7.GzipShardStore):
    """Chapter 7's store, able to move shards to ``garbage/``."""

    def __init__(self, root):
        super().__init__(root)
        self.garbage = self.root / "garbage"
        self.garbage.mkdir(exist_ok=True)

    def move_to_garbage(self, key: str) -> list[str]:
        """Move every shard file of ``key`` to ``garbage/``; returns their names."""
        moved = []
        for name in self.files(check_key(key)):
            target = self.garbage / name
            try:
                os.replace(self.objects / name, target)
            except FileNotFoundError:
                continue
            os.utime(target)
            (self.checksums / name).unlink(missing_ok=True)
            self.forget(name)
            moved.append(name)
            log.info("moved objects/%s to garbage/", name)
        return moved


class ShardsView(chapter7.ShardsView):
    """Chapter 7's shard view plus DELETE."""

    def delete(self, name: str):
        self.store.move_to_garbage(name)
        return Response(status=200)
