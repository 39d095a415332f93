"""Composition root of final/'s data server: chapter 8's parts, plus the containers wing."""
from functools import cached_property

from flask import Flask

from chapter01_single.app import add_resource
from chapter08_maintenance.data_server import app as chapter8
from final import config as settings
from final.containers.inventory import InventoryView, usage
from final.containers.server import Compactor, ContainerShardStore, LocateListener
from final.containers.store import ContainerStore
from final.containers.views import ContainersView, FastPath
from final.ops import access, metrics


class Parts(chapter8.Parts):
    """Chapter 8's data server; small objects' replicas live in ``containers`` (started as a worker)."""
    settings = settings
    locate_listener = LocateListener

    containers = cached_property(lambda self: ContainerStore(
        self.config["STORAGE_ROOT"], self.config["CONTAINER_SIZE"], self.durable))
    store = cached_property(lambda self: ContainerShardStore(self.config["STORAGE_ROOT"], self.containers,
                                                             self.durable))
    compactor = cached_property(lambda self: metrics.measured(Compactor, metrics.CountedCompactions)(
        self.containers, self.config["COMPACT_RATIO"], self.config["COMPACT_INTERVAL"]))

    def health(self) -> dict:
        return {"containers": vars(self.containers.stats()),
                **usage(self.config["STORAGE_ROOT"], self.store)}

    def workers(self) -> list:
        return [self.containers, self.compactor] + super().workers()

    def app(self) -> Flask:
        app = super().app()
        add_resource(app, ContainersView, containers=self.containers, limit=self.config["SMALL_OBJECT_LIMIT"],
                     compactor=self.compactor)
        add_resource(app, InventoryView, store=self.store)
        app.wsgi_app = FastPath(app.wsgi_app, self.containers, self.config["SMALL_OBJECT_LIMIT"])
        access.install(app, [metrics.containers(self.containers)])    # outermost: ids, access log, /metrics
        return app


def create_app(config: dict | None = None, *, store: ContainerShardStore | None = None, temps=None,
               containers: ContainerStore | None = None) -> Flask:
    """The data server. Parts (built from ``config`` unless given): ``store``, ``temps``, ``containers``."""
    return Parts(config, store=store, temps=temps, containers=containers).app()
