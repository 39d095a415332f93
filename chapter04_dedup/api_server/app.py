"""Composition root of the chapter 4 api server: chapter 3's, with its own locator and pipeline."""
from flask import Flask

from chapter03_metadata.api_server import app as chapter3
from chapter04_dedup.api_server.locate import Locator
from chapter04_dedup.api_server.store import Objects


class Parts(chapter3.Parts):
    """Chapter 3's parts; the locator ends once every server answered, objects are deduplicated."""
    locator_class = Locator
    objects_class = Objects


def create_app(config: dict | None = None, *, servers=None, locator=None, metadata=None, objects=None) -> Flask:
    """Chapter 3's api server with chapter 4's parts (same names, built unless given)."""
    return Parts(config, servers=servers, locator=locator, metadata=metadata, objects=objects).app()
