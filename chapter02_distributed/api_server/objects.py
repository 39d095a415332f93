"""``/objects/<name>`` on the api server (book §4.2).

Go: ``chapter2/apiServer/objects/{put,store,put_stream,get,get_stream}.go``. PUT streams the body
to one random live data server; GET locates the object and streams it back. Neither holds a whole
object in memory.
"""
from flask import Response, request

from chapter01_single.app import Resource
from chapter01_single.errors import ObjectNotFound, ServiceUnavailable
from chapter01_single.objects import request_body
from chapter02_distributed.common import objectstream
from chapter02_distributed.common.relay import relay_body


class NoDataServer(ServiceUnavailable):
    """No live data server is known; try again later."""


class ObjectsView(Resource):
    """Objects spread over the data servers."""

    def __init__(self, servers, locator):
        self.servers = servers
        self.locator = locator

    def put(self, name: str):
        """Stream the body to a random live data server."""
        server = self.choose_servers(1)[0]
        objectstream.put_stream(server, name, request_body(), request.content_length)
        return Response(status=200)

    def get(self, name: str):
        """Stream the object from the data server that holds it."""
        server = self.locator.locate(name)
        if not server:
            raise ObjectNotFound(f"object {name!r} not found")
        return stream_response(objectstream.get_stream(server, name))

    def choose_servers(self, n: int) -> list[str]:
        """``n`` distinct live data servers, or 503."""
        chosen = self.servers.choose(n)
        if not chosen:
            raise NoDataServer(f"fewer than {n} live data servers")
        return chosen


def stream_response(upstream) -> Response:
    """Relay a data server's streaming 200 with its Content-Length (spliced where possible)."""
    length = upstream.headers.get("Content-Length")
    length = int(length) if length and length.isdigit() else None
    response = Response(relay_body(upstream, request.environ, length), mimetype="application/octet-stream",
                        direct_passthrough=True)
    if length is not None:
        response.content_length = length
    return response
