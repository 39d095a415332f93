"""Composition root of the chapter 5 api server: chapter 4's, with shard-aware parts."""
from flask import Flask

from chapter04_dedup.api_server.app import create_app as create_dedup_app  # unchanged since chapter 4
from chapter05_erasure.api_server.locate import Locator
from chapter05_erasure.api_server.objects import ObjectsView


def create_app(config: dict | None = None, objects_view=ObjectsView, locator_class=Locator, **parts) -> Flask:
    return create_dedup_app(config, objects_view=objects_view, locator_class=locator_class, **parts)
