"""Composition root of the chapter 5 data server: chapter 4's, with shard parts."""
from functools import cached_property

from flask import Flask

from chapter04_dedup.data_server import app as chapter4
from chapter05_erasure.data_server.locate import LocateListener
from chapter05_erasure.data_server.objects import ShardStore, ShardsView
from chapter05_erasure.data_server.temp import ShardTempStore


class Parts(chapter4.Parts):
    """Chapter 4's parts holding shards: checksummed shard files, temps named ``<key>.<i>``."""
    objects_view = ShardsView
    locate_listener = LocateListener

    store = cached_property(lambda self: ShardStore(self.config["STORAGE_ROOT"], self.durable))
    temps = cached_property(lambda self: ShardTempStore(self.store))


def create_app(config: dict | None = None, *, store: ShardStore | None = None,
               temps: ShardTempStore | None = None) -> Flask:
    """Chapter 4's data server with chapter 5's parts (``store``, ``temps``, built unless given)."""
    return Parts(config, store=store, temps=temps).app()
