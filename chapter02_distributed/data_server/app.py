"""Composition root of the chapter 2 data server: chapter 1's app plus two background workers."""
from flask import Flask

from chapter01_single.app import WORKERS
from chapter01_single.server import Parts as SingleServerParts  # unchanged since chapter 1
from chapter01_single.store import FileStore
from chapter02_distributed import config as settings
from chapter02_distributed.data_server.heartbeat import Heartbeat
from chapter02_distributed.data_server.locate import LocateListener


class Parts(SingleServerParts):
    """Chapter 1's server (``store``) plus the heartbeat and the locate listener."""
    settings = settings
    locate_listener = LocateListener

    def workers(self) -> list:
        """The heartbeat and the locate listener of a data server holding ``store``."""
        url, address = self.config["RABBITMQ_SERVER"], self.config["ADVERTISE_ADDRESS"]
        return [Heartbeat(url, address, self.config["HEARTBEAT_INTERVAL"]),
                self.locate_listener(url, address, self.store)]

    def app(self) -> Flask:
        app = super().app()
        app.extensions[WORKERS] += self.workers()
        return app


def create_app(config: dict | None = None, *, store: FileStore | None = None) -> Flask:
    """The data server; its workers are built here and started by ``main``. Parts: ``store``."""
    return Parts(config, store=store).app()
