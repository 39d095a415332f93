"""Composition root of the chapter 7 api server: chapter 6's, with packed objects and gzip downloads."""
from flask import Flask

from chapter06_resumable.api_server import app as chapter6
from chapter07_gzip import config as settings
from chapter07_gzip.api_server.locate import Locator
from chapter07_gzip.api_server.objects import ObjectsView
from chapter07_gzip.api_server.store import Objects
from chapter07_gzip.common.es import Metadata


class Parts(chapter6.Parts):
    """Chapter 6's parts; versions record whether their content is packed, locate finds both forms."""
    settings = settings
    locator_class = Locator
    metadata_class = Metadata
    objects_class = Objects
    objects_view = ObjectsView


def create_app(config: dict | None = None, *, servers=None, locator=None, metadata=None, objects=None,
               uploads=None) -> Flask:
    """Chapter 6's api server with chapter 7's parts (same names, built unless given)."""
    return Parts(config, servers=servers, locator=locator, metadata=metadata, objects=objects,
                 uploads=uploads).app()
