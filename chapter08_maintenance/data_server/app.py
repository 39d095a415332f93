"""Composition root of the chapter 8 data server: chapter 7's, with the garbage-aware store."""
from functools import cached_property

from flask import Flask

from chapter07_gzip.data_server import app as chapter7
from chapter07_gzip.data_server.temp import GzipTempStore
from chapter08_maintenance import config as settings
from chapter08_maintenance.data_server.objects import GarbageShardStore, ShardsView


class Parts(chapter7.Parts):
    """Chapter 7's parts; the store moves shards to ``garbage/``, the view adds DELETE."""
    settings = settings
    objects_view = ShardsView

    store = cached_property(lambda self: GarbageShardStore(self.config["STORAGE_ROOT"], self.durable))


def create_app(config: dict | None = None, *, store: GarbageShardStore | None = None,
               temps: GzipTempStore | None = None) -> Flask:
    """Chapter 7's data server with chapter 8's parts (``store``, ``temps``, built unless given)."""
    return Parts(config, store=store, temps=temps).app()
