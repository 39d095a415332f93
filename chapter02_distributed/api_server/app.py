"""Composition root of the chapter 2 api server.

The collaborators a later chapter swaps (the data-server registry, the locator, the views) are
passed in, or built from ``config``; the background workers are recorded in ``app.extensions`` and
started by ``main``, never here.
"""
from flask import Flask

from chapter01_single.app import WORKERS, add_resource, new_app
from chapter02_distributed import config as settings
from chapter02_distributed.api_server.heartbeat import DataServers, HeartbeatListener
from chapter02_distributed.api_server.locate import LocateView, Locator
from chapter02_distributed.api_server.objects import ObjectsView


def create_app(config: dict | None = None, servers: DataServers | None = None,
               locator: Locator | None = None) -> Flask:
    """The api server: ``/objects/``, ``/locate/``, ``/healthz`` listing live data servers."""
    config = config or settings.load()
    servers, locator = membership(config, servers, locator)
    shared = {"servers": servers, "locator": locator}
    return assemble(config, servers, locator, [(ObjectsView, shared), (LocateView, {"locator": locator})])


def membership(config: dict, servers=None, locator=None, locator_class=Locator):
    """The live-server registry and the locator, built from ``config`` unless given."""
    servers = servers or DataServers(config["HEARTBEAT_EXPIRY"])
    locator = locator or locator_class(config["RABBITMQ_SERVER"], config["LOCATE_TIMEOUT"], servers)
    return servers, locator


def assemble(config: dict, servers: DataServers, locator: Locator, resources) -> Flask:
    """An api app serving ``resources``, (view class, collaborators) pairs; the heartbeat
    listener and the locator are recorded as the workers ``main`` starts."""
    app = new_app(config, health=lambda: {"data_servers": servers.live()})
    for view_class, collaborators in resources:
        add_resource(app, view_class, **collaborators)
    app.extensions[WORKERS] += [HeartbeatListener(config["RABBITMQ_SERVER"], servers), locator]
    return app
