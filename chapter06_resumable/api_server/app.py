"""Composition root of the chapter 6 api server: chapter 5's, with uploads and ranges."""
from flask import Flask

from chapter02_distributed.api_server.app import assemble, membership  # unchanged since chapter 2
from chapter03_metadata.api_server.locate import LocateView  # unchanged since chapter 3
from chapter03_metadata.api_server.versions import VersionsView  # unchanged since chapter 3
from chapter03_metadata.common.es import Metadata
from chapter05_erasure.api_server.locate import Locator  # unchanged since chapter 5
from chapter06_resumable import config as settings
from chapter06_resumable.api_server.objects import ObjectsView
from chapter06_resumable.api_server.temp import TempView
from chapter06_resumable.api_server.uploads import Uploads


def create_app(config: dict | None = None, servers=None, locator=None, metadata: Metadata | None = None,
               uploads: Uploads | None = None, objects_view=ObjectsView, locator_class=Locator) -> Flask:
    config = config or settings.load()
    servers, locator = membership(config, servers, locator, locator_class)
    metadata = metadata or Metadata(config["ES_SERVER"], config["ES_INDEX"])
    uploads = uploads or Uploads(metadata, servers, config["UPLOAD_TTL"], config["UPLOAD_SECRET"])
    shared = {"servers": servers, "locator": locator, "metadata": metadata}
    return assemble(config, servers, locator, [
        (objects_view, {**shared, "uploads": uploads}), (LocateView, {"locator": locator}),
        (VersionsView, {"metadata": metadata}), (TempView, {"uploads": uploads, "locator": locator, "metadata": metadata})])
