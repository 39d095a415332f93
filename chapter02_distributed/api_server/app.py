"""Composition root of the chapter 2 api server.

``Parts`` names what the server is made of; the parts a later chapter swaps (the locator, the
object pipeline, the views) are classes or properties it overrides. Background workers are
recorded in ``app.extensions`` and started by ``main``, never here.
"""
from functools import cached_property

from flask import Flask

from chapter01_single import app as skeleton
from chapter01_single.app import WORKERS, add_resource, new_app
from chapter02_distributed import config as settings
from chapter02_distributed.api_server.heartbeat import DataServers, HeartbeatListener
from chapter02_distributed.api_server.locate import LocateView, Locator
from chapter02_distributed.api_server.objects import ObjectsView
from chapter02_distributed.api_server.store import Objects


class Parts(skeleton.Parts):
    """An api server: ``servers`` (live data servers), ``locator``, ``objects`` (the pipeline)."""
    settings = settings
    locator_class = Locator
    objects_class = Objects
    objects_view = ObjectsView
    locate_view = LocateView

    servers = cached_property(lambda self: DataServers(self.config["HEARTBEAT_EXPIRY"]))
    locator = cached_property(lambda self: self.locator_class(
        self.config["RABBITMQ_SERVER"], self.config["LOCATE_TIMEOUT"], self.servers))
    objects = cached_property(lambda self: self.objects_class(self.servers, self.locator))

    def resources(self) -> list:
        """(view class, its collaborators) for every route prefix."""
        return [(self.objects_view, self.objects_view_parts()), (self.locate_view, {"locator": self.locator})]

    def objects_view_parts(self) -> dict:
        """What ``objects_view`` is built with."""
        return {"objects": self.objects}

    def health(self) -> dict:
        return {"data_servers": self.servers.live()}

    def workers(self) -> list:
        """The heartbeat listener and the locator, started by ``main``."""
        return [HeartbeatListener(self.config["RABBITMQ_SERVER"], self.servers), self.locator]

    def app(self) -> Flask:
        app = new_app(self.config, self.health)
        for view_class, collaborators in self.resources():
            add_resource(app, view_class, **collaborators)
        app.extensions[WORKERS] += self.workers()
        return app


def create_app(config: dict | None = None, *, servers: DataServers | None = None,
               locator: Locator | None = None, objects: Objects | None = None) -> Flask:
    """The api server: ``/objects/``, ``/locate/``, ``/healthz`` listing live data servers.
    Parts (built from ``config`` unless given): ``servers``, ``locator``, ``objects``."""
    return Parts(config, servers=servers, locator=locator, objects=objects).app()
