"""Composition root of the chapter 7 api server: chapter 6's, with the gzip-aware objects view."""
from flask import Flask

from chapter06_resumable.api_server.app import create_app as create_resumable_app  # unchanged since chapter 6
from chapter07_gzip import config as settings
from chapter07_gzip.api_server.objects import ObjectsView


def create_app(config: dict | None = None, objects_view=ObjectsView, **parts) -> Flask:
    return create_resumable_app(config or settings.load(), objects_view=objects_view, **parts)
