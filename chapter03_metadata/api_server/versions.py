"""``GET /versions/<name>`` and ``GET /versions/`` (book §4.3).

Go: ``chapter3/apiServer/versions/handler.go``. One line of compact JSON per version, with the
book's capitalised keys, ``{"Name":…,"Version":…,"Size":…,"Hash":…}``; tombstones show
``"Size":0,"Hash":""``. Every version is listed, however many (no 10,000 limit).
"""
import json
from typing import Iterator

from flask import Response, request

from chapter01_single.app import Resource
from chapter01_single.names import raw_path
from chapter03_metadata.api_server.objects import MetadataNames
from chapter03_metadata.common.es import Metadata, Version


class VersionsView(Resource):
    """The versions of one name, or of all names."""
    prefix = "/versions/"
    names = MetadataNames()

    def __init__(self, metadata: Metadata):
        self.metadata = metadata

    def dispatch_request(self, **route_values):
        if raw_path(request.environ) == self.prefix:    # /versions/: every name
            return super(Resource, self).dispatch_request(name="")
        return super().dispatch_request(**route_values)

    def get(self, name: str):
        versions = self.metadata.versions(name)
        return Response(_lines(versions), mimetype="application/x-ndjson")


def _lines(versions: Iterator[Version]) -> Iterator[bytes]:
    for record in versions:
        yield json.dumps(record.book_json(), separators=(",", ":")).encode() + b"\n"
