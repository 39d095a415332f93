"""Composition root of the chapter 3 api server: chapter 2's, with the metadata client."""
from functools import cached_property

from flask import Flask

from chapter02_distributed.api_server import app as chapter2
from chapter03_metadata import config as settings
from chapter03_metadata.api_server.locate import LocateView
from chapter03_metadata.api_server.objects import ObjectsView
from chapter03_metadata.api_server.store import Objects
from chapter03_metadata.api_server.versions import VersionsView
from chapter03_metadata.common.es import Metadata


class Parts(chapter2.Parts):
    """Chapter 2's parts plus ``metadata``; ``objects`` keeps versions in it."""
    settings = settings
    metadata_class = Metadata
    objects_class = Objects
    objects_view = ObjectsView
    locate_view = LocateView

    metadata = cached_property(lambda self: self.metadata_class(self.config["ES_SERVER"],
                                                                self.config["ES_INDEX"]))
    objects = cached_property(lambda self: self.objects_class(self.servers, self.locator, self.metadata))

    def resources(self) -> list:
        return super().resources() + [(VersionsView, {"metadata": self.metadata})]


def create_app(config: dict | None = None, *, servers=None, locator=None, metadata: Metadata | None = None,
               objects: Objects | None = None) -> Flask:
    """``/objects/`` with versions, ``/locate/`` by hash, ``/versions/``. Parts (built from
    ``config`` unless given): ``servers``, ``locator``, ``metadata``, ``objects``."""
    return Parts(config, servers=servers, locator=locator, metadata=metadata, objects=objects).app()
