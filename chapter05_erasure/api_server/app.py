"""Composition root of the chapter 5 api server: chapter 4's, with shard-aware parts."""
from flask import Flask

from chapter04_dedup.api_server import app as chapter4
from chapter05_erasure.api_server.locate import Locator
from chapter05_erasure.api_server.store import Objects


class Parts(chapter4.Parts):
    """Chapter 4's parts; the locator collects shard locations, objects are erasure-coded."""
    locator_class = Locator
    objects_class = Objects


def create_app(config: dict | None = None, *, servers=None, locator=None, metadata=None, objects=None) -> Flask:
    """Chapter 4's api server with chapter 5's parts (same names, built unless given)."""
    return Parts(config, servers=servers, locator=locator, metadata=metadata, objects=objects).app()
