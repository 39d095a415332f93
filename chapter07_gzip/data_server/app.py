"""Composition root of the chapter 7 data server: chapter 6's, with compressed shards."""
from functools import cached_property

from flask import Flask

from chapter06_resumable.data_server import app as chapter6
from chapter07_gzip import config as settings
from chapter07_gzip.data_server.locate import LocateListener
from chapter07_gzip.data_server.objects import GzipShardStore, ShardsView
from chapter07_gzip.data_server.temp import GzipTempStore, TempView


class Parts(chapter6.Parts):
    """Chapter 6's parts; shards are compressed at rest when that pays; packed ones are named apart."""
    settings = settings
    objects_view = ShardsView
    temp_view = TempView
    locate_listener = LocateListener

    store = cached_property(lambda self: GzipShardStore(self.config["STORAGE_ROOT"], self.durable))
    temps = cached_property(lambda self: GzipTempStore(self.store, self.config["GZIP_LEVEL"]))


def create_app(config: dict | None = None, *, store: GzipShardStore | None = None,
               temps: GzipTempStore | None = None) -> Flask:
    """Chapter 6's data server with chapter 7's parts (``store``, ``temps``, built unless given)."""
    return Parts(config, store=store, temps=temps).app()
