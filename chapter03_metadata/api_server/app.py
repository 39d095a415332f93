"""Composition root of the chapter 3 api server: chapter 2's, with the metadata client."""
from flask import Flask

from chapter02_distributed.api_server.app import assemble, membership  # unchanged since chapter 2
from chapter03_metadata import config as settings
from chapter03_metadata.api_server.locate import LocateView
from chapter03_metadata.api_server.objects import ObjectsView
from chapter03_metadata.api_server.versions import VersionsView
from chapter03_metadata.common.es import Metadata


def create_app(config: dict | None = None, servers=None, locator=None, metadata: Metadata | None = None,
               objects_view=ObjectsView, locate_view=LocateView) -> Flask:
    """``/objects/`` with versions, ``/locate/`` by hash, ``/versions/``."""
    config = config or settings.load()
    servers, locator = membership(config, servers, locator)
    metadata = metadata or Metadata(config["ES_SERVER"], config["ES_INDEX"])
    resources = [(objects_view, {"servers": servers, "locator": locator, "metadata": metadata}),
                 (locate_view, {"locator": locator}), (VersionsView, {"metadata": metadata})]
    return assemble(config, servers, locator, resources)
