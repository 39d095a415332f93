"""Composition root of the chapter 8 api server: chapter 7's, with the pinning pipeline."""
from flask import Flask

from chapter07_gzip.api_server import app as chapter7
from chapter08_maintenance import config as settings
from chapter08_maintenance.api_server.store import Objects


class Parts(chapter7.Parts):
    """Chapter 7's parts; ``objects`` pins the content a PUT reuses."""
    settings = settings
    objects_class = Objects


def create_app(config: dict | None = None, *, servers=None, locator=None, metadata=None, objects=None,
               uploads=None) -> Flask:
    """Chapter 7's api server with chapter 8's parts (same names, built unless given)."""
    return Parts(config, servers=servers, locator=locator, metadata=metadata, objects=objects,
                 uploads=uploads).app()
