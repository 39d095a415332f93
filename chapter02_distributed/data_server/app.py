"""Composition root of the chapter 2 data server: chapter 1's app plus two background workers."""
from flask import Flask

from chapter01_single.app import WORKERS
from chapter01_single.server import create_app as create_object_server  # unchanged since chapter 1
from chapter01_single.store import FileStore
from chapter02_distributed import config as settings
from chapter02_distributed.data_server.heartbeat import Heartbeat
from chapter02_distributed.data_server.locate import LocateListener


def create_app(config: dict | None = None, store: FileStore | None = None) -> Flask:
    """The data server; its workers are built here and started by ``main``."""
    config = config or settings.load()
    store = store or FileStore(config["STORAGE_ROOT"])
    app = create_object_server(config, store=store)
    app.extensions[WORKERS] += workers(config, store)
    return app


def workers(config: dict, store, locate_listener=LocateListener) -> list:
    """The heartbeat and the locate listener of a data server holding ``store``."""
    url, address = config["RABBITMQ_SERVER"], config["ADVERTISE_ADDRESS"]
    return [Heartbeat(url, address, config["HEARTBEAT_INTERVAL"]), locate_listener(url, address, store)]
