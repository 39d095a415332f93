"""Composition root of final/'s api server: chapter 8's parts, with the containers wing's."""
from functools import cached_property

from flask import Flask

from chapter08_maintenance.api_server import app as chapter8
from final import config as settings
from final.containers.client import Objects
from final.containers.locate import LocateView, Locator
from final.containers.metadata import Metadata


class Parts(chapter8.Parts):
    """Chapter 8's api server; small objects are kept whole in containers (three replicas)."""
    settings = settings
    locator_class = Locator
    locate_view = LocateView
    metadata_class = Metadata
    objects_class = Objects

    objects = cached_property(lambda self: self.objects_class(self.servers, self.locator, self.metadata,
                                                              self.config["SMALL_OBJECT_LIMIT"]))


def create_app(config: dict | None = None, *, servers=None, locator=None, metadata=None, objects=None,
               uploads=None) -> Flask:
    """The api server. Parts (built from ``config`` unless given): ``servers``, ``locator``,
    ``metadata``, ``objects``, ``uploads``."""
    return Parts(config, servers=servers, locator=locator, metadata=metadata, objects=objects,
                 uploads=uploads).app()
