"""Composition root of the chapter 6 data server: chapter 5's, with resumable temps and a sweeper."""
from flask import Flask

from chapter01_single.app import WORKERS
from chapter05_erasure.data_server.app import create_app as create_shard_server  # unchanged since chapter 5
from chapter05_erasure.data_server.objects import ShardStore
from chapter06_resumable import config as settings
from chapter06_resumable.data_server.temp import ResumableTempStore, TempSweeper, TempView


def create_app(config: dict | None = None, store: ShardStore | None = None, **parts) -> Flask:
    config = config or settings.load()
    store = store or ShardStore(config["STORAGE_ROOT"])
    temps = parts.setdefault("temps", ResumableTempStore(store))
    parts.setdefault("temp_view", TempView)
    app = create_shard_server(config, store=store, **parts)
    app.extensions[WORKERS].append(TempSweeper(temps, config["UPLOAD_TTL"]))
    return app
