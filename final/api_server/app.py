"""Composition root of final/'s api server: chapter 8's parts, with the containers wing's and the S3 wing's."""
from functools import cached_property

from flask import Flask

from chapter08_maintenance.api_server import app as chapter8
from final import config as settings
from final.catalog.buckets import LeanBuckets
from final.catalog.keys import Keys
from final.catalog.maintenance import MaintenanceMetadata
from final.catalog.uploads import Uploads
from final.containers.client import Objects
from final.containers.locate import LocateView, Locator
from final.containers.metadata import Metadata
from final.s3.context import Store
from final.s3.gateway import Gateway
from final.s3.users import Users


class Parts(chapter8.Parts):
    """Chapter 8's api server; small objects are kept whole in containers (three replicas); every
    path the book's routes do not use is the S3 API."""
    settings = settings
    locator_class = Locator
    locate_view = LocateView
    metadata_class = Metadata
    objects_class = Objects
    maintenance_class = MaintenanceMetadata     # the tools' metadata client: S3 keys refer to content too

    objects = cached_property(lambda self: self.objects_class(self.servers, self.locator, self.metadata,
                                                              self.config["SMALL_OBJECT_LIMIT"]))
    s3 = cached_property(lambda self: Store(
        self.objects, LeanBuckets(self.config["ES_SERVER"], f"{self.config['ES_INDEX']}-buckets"),
        Keys(self.config["ES_SERVER"], self.config["ES_INDEX"]), Users.from_config(self.config),
        self.config["S3_REGION"], Uploads(self.config["ES_SERVER"], self.config["ES_INDEX"]),
        self.config["MULTIPART_MIN_PART"]))

    def app(self) -> Flask:
        app = super().app()
        Gateway(self.s3, self.config["BOOK_API"]).install(app)
        return app


def create_app(config: dict | None = None, *, servers=None, locator=None, metadata=None, objects=None,
               uploads=None, s3=None) -> Flask:
    """The api server. Parts (built from ``config`` unless given): ``servers``, ``locator``,
    ``metadata``, ``objects``, ``uploads``, ``s3`` (the S3 wing's ``Store``)."""
    return Parts(config, servers=servers, locator=locator, metadata=metadata, objects=objects,
                 uploads=uploads, s3=s3).app()
