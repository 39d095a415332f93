"""Composition root of the chapter 4 api server: chapter 3's, with its own objects view and locator."""
from flask import Flask

from chapter02_distributed.api_server.app import membership  # unchanged since chapter 2
from chapter03_metadata import config as settings
from chapter03_metadata.api_server.app import create_app as create_versioned_app  # unchanged since chapter 3
from chapter04_dedup.api_server.locate import Locator
from chapter04_dedup.api_server.objects import ObjectsView


def create_app(config: dict | None = None, servers=None, locator=None, metadata=None,
               objects_view=ObjectsView, locator_class=Locator, **views) -> Flask:
    config = config or settings.load()
    servers, locator = membership(config, servers, locator, locator_class)
    return create_versioned_app(config, servers, locator, metadata, objects_view=objects_view, **views)
