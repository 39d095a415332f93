"""Composition root of the chapter 6 api server: chapter 5's, with uploads and ranges."""
from functools import cached_property

from flask import Flask

from chapter05_erasure.api_server import app as chapter5
from chapter06_resumable import config as settings
from chapter06_resumable.api_server.objects import ObjectsView
from chapter06_resumable.api_server.store import Objects
from chapter06_resumable.api_server.temp import TempView
from chapter06_resumable.api_server.uploads import Uploads


class Parts(chapter5.Parts):
    """Chapter 5's parts plus ``uploads`` (resumable uploads behind signed tokens)."""
    settings = settings
    objects_class = Objects
    objects_view = ObjectsView

    uploads = cached_property(lambda self: Uploads(
        self.metadata, self.servers, self.config["UPLOAD_TTL"], self.config["UPLOAD_SECRET"]))

    def objects_view_parts(self) -> dict:
        return {**super().objects_view_parts(), "uploads": self.uploads}

    def resources(self) -> list:
        return super().resources() + [(TempView, {"uploads": self.uploads, "objects": self.objects})]


def create_app(config: dict | None = None, *, servers=None, locator=None, metadata=None, objects=None,
               uploads: Uploads | None = None) -> Flask:
    """Chapter 5's api server plus ``POST /objects/``, ``/temp/`` and ranges. Parts (built from
    ``config`` unless given): ``servers``, ``locator``, ``metadata``, ``objects``, ``uploads``."""
    return Parts(config, servers=servers, locator=locator, metadata=metadata, objects=objects,
                 uploads=uploads).app()
