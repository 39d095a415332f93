"""The chapter 1 server: ``python -m chapter01_single.server`` (Go: ``chapter1/server.go``).

Env: ``LISTEN_ADDRESS`` (default ``127.0.0.1:12345``), ``STORAGE_ROOT`` (default ``./storage``).
"""
from flask import Flask

from chapter01_single import config as settings
from chapter01_single.app import add_resource, new_app
from chapter01_single.objects import ObjectsView
from chapter01_single.serve import run
from chapter01_single.store import FileStore


def create_app(config: dict | None = None, store: FileStore | None = None) -> Flask:
    """The single server's app; ``store`` defaults to a ``FileStore`` at ``STORAGE_ROOT``."""
    config = config or settings.load()
    app = new_app(config)
    add_resource(app, ObjectsView, store=store or FileStore(config["STORAGE_ROOT"]))
    return app


if __name__ == "__main__":
    run(create_app)
