"""The chapter 1 server: ``python -m chapter01_single.server`` (Go: ``chapter1/server.go``).

Env: ``LISTEN_ADDRESS`` (default ``127.0.0.1:12345``), ``STORAGE_ROOT`` (default ``./storage``).
"""
from functools import cached_property

from flask import Flask

from chapter01_single import app as skeleton
from chapter01_single import config as settings
from chapter01_single.app import add_resource, new_app
from chapter01_single.durable import Durability
from chapter01_single.objects import ObjectsView
from chapter01_single.serve import run
from chapter01_single.store import FileStore


class Parts(skeleton.Parts):
    """The single server: one ``store``."""
    settings = settings

    durable = cached_property(lambda self: Durability(self.config["FSYNC"]))
    store = cached_property(lambda self: FileStore(self.config["STORAGE_ROOT"], self.durable))

    def app(self) -> Flask:
        app = new_app(self.config, self.health)
        add_resource(app, ObjectsView, store=self.store)
        return app


def create_app(config: dict | None = None, *, store: FileStore | None = None) -> Flask:
    """The single server's app. Parts: ``store``, a ``FileStore`` at ``STORAGE_ROOT``."""
    return Parts(config, store=store).app()


if __name__ == "__main__":
    run(create_app)
