"""Composition root of the chapter 6 data server: chapter 5's, with resumable temps and a sweeper."""
from functools import cached_property

from flask import Flask

from chapter05_erasure.data_server import app as chapter5
from chapter05_erasure.data_server.objects import ShardStore
from chapter06_resumable import config as settings
from chapter06_resumable.data_server.temp import ResumableTempStore, TempSweeper, TempView


class Parts(chapter5.Parts):
    """Chapter 5's parts; temps can be resumed and versioned, and abandoned ones are swept."""
    settings = settings
    temp_view = TempView

    temps = cached_property(lambda self: ResumableTempStore(self.store))

    def workers(self) -> list:
        return super().workers() + [TempSweeper(self.temps, self.config["UPLOAD_TTL"])]


def create_app(config: dict | None = None, *, store: ShardStore | None = None,
               temps: ResumableTempStore | None = None) -> Flask:
    """Chapter 5's data server with chapter 6's parts (``store``, ``temps``, built unless given)."""
    return Parts(config, store=store, temps=temps).app()
