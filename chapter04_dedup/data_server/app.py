"""Composition root of the chapter 4 data server: ``/objects/`` by content, ``/temp/``."""
from functools import cached_property

from flask import Flask

from chapter01_single.app import WORKERS, add_resource, new_app
from chapter02_distributed.data_server import app as chapter2
from chapter04_dedup.data_server.locate import LocateListener
from chapter04_dedup.data_server.objects import ContentStore, ObjectsView
from chapter04_dedup.data_server.temp import TempStore, TempView


class Parts(chapter2.Parts):
    """A data server: ``store`` (objects by content) and ``temps`` (uploads in progress)."""
    objects_view = ObjectsView
    temp_view = TempView
    locate_listener = LocateListener

    store = cached_property(lambda self: ContentStore(self.config["STORAGE_ROOT"], self.durable))
    temps = cached_property(lambda self: TempStore(self.store))

    def app(self) -> Flask:
        app = new_app(self.config, self.health)
        add_resource(app, self.objects_view, store=self.store)
        add_resource(app, self.temp_view, temps=self.temps)
        app.extensions[WORKERS] += self.workers()
        return app


def create_app(config: dict | None = None, *, store: ContentStore | None = None,
               temps: TempStore | None = None) -> Flask:
    """The data server. Parts (built from ``config`` unless given): ``store``, ``temps``."""
    return Parts(config, store=store, temps=temps).app()
