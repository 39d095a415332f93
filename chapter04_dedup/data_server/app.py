"""Composition root of the chapter 4 data server: ``/objects/`` by content, ``/temp/``."""
from flask import Flask

from chapter01_single.app import WORKERS, add_resource, new_app
from chapter02_distributed import config as settings
from chapter02_distributed.data_server.app import workers  # unchanged since chapter 2
from chapter04_dedup.data_server.locate import LocateListener
from chapter04_dedup.data_server.objects import ContentStore, ObjectsView
from chapter04_dedup.data_server.temp import TempStore, TempView


def create_app(config: dict | None = None, store: ContentStore | None = None, temps: TempStore | None = None,
               objects_view=ObjectsView, temp_view=TempView, locate_listener=LocateListener) -> Flask:
    """The data server; later chapters pass their own store and views."""
    config = config or settings.load()
    store = store or ContentStore(config["STORAGE_ROOT"])
    temps = temps or TempStore(store)
    app = new_app(config)
    add_resource(app, objects_view, store=store)
    add_resource(app, temp_view, temps=temps)
    app.extensions[WORKERS] += workers(config, store, locate_listener)
    return app
