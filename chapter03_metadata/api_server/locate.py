"""``GET /locate/<hash>`` (book §4.3): objects are stored under their hash now.

The client sends the book's form (standard base64, ``/`` escaped as ``%2F``) or the URL-safe one;
the data servers are asked for ``key(H)``.
"""
from chapter01_single.errors import BadRequest
from chapter02_distributed.api_server.locate import LocateView as NameLocateView
from chapter03_metadata.api_server.objects import MetadataNames
from chapter03_metadata.common import digest


class LocateView(NameLocateView):
    """Locate by content hash."""
    names = MetadataNames()

    def get(self, name: str):
        h = digest.parse(name)
        if h is None:
            raise BadRequest(f"{name!r} is not a SHA-256 in base64")
        return super().get(digest.key(h))
