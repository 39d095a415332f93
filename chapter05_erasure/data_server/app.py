"""Composition root of the chapter 5 data server: chapter 4's, with shard parts."""
from flask import Flask

from chapter02_distributed import config as settings
from chapter04_dedup.data_server.app import create_app as create_content_server  # unchanged since chapter 4
from chapter05_erasure.data_server.locate import LocateListener
from chapter05_erasure.data_server.objects import ShardStore, ShardsView
from chapter05_erasure.data_server.temp import ShardTempStore


def create_app(config: dict | None = None, store: ShardStore | None = None, **parts) -> Flask:
    config = config or settings.load()
    store = store or ShardStore(config["STORAGE_ROOT"])
    parts.setdefault("temps", ShardTempStore(store))
    parts.setdefault("objects_view", ShardsView)
    parts.setdefault("locate_listener", LocateListener)
    return create_content_server(config, store=store, **parts)
