"""Composition root of the chapter 8 data server: chapter 7's, with the garbage-aware store."""
from flask import Flask

from chapter07_gzip.data_server.app import create_app as create_gzip_server  # unchanged since chapter 7
from chapter08_maintenance import config as settings
from chapter08_maintenance.data_server.objects import GarbageShardStore, ShardsView


def create_app(config: dict | None = None, store: GarbageShardStore | None = None, **parts) -> Flask:
    config = config or settings.load()
    store = store or GarbageShardStore(config["STORAGE_ROOT"])
    parts.setdefault("objects_view", ShardsView)
    return create_gzip_server(config, store=store, **parts)
