"""Composition root of the chapter 7 data server: chapter 6's, with compressed shards."""
from flask import Flask

from chapter06_resumable.data_server.app import create_app as create_resumable_server  # unchanged since chapter 6
from chapter07_gzip import config as settings
from chapter07_gzip.data_server.objects import GzipShardStore, ShardsView
from chapter07_gzip.data_server.temp import GzipTempStore, TempView


def create_app(config: dict | None = None, store: GzipShardStore | None = None, **parts) -> Flask:
    config = config or settings.load()
    store = store or GzipShardStore(config["STORAGE_ROOT"])
    parts.setdefault("temps", GzipTempStore(store, config["GZIP_LEVEL"]))
    parts.setdefault("objects_view", ShardsView)
    parts.setdefault("temp_view", TempView)
    return create_resumable_server(config, store=store, **parts)
