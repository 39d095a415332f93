"""``/objects/<name>`` on the api server (book §4.2).

Go: ``chapter2/apiServer/objects/{put,get}.go``. The view reads the request and shapes the answer;
the storing and reading (``store.go``, ``put_stream.go``, ``get_stream.go``) are ``store.Objects``'s.
Neither holds a whole object in memory.
"""
import requests
from flask import Response, request

from chapter01_single.app import Resource
from chapter01_single.objects import request_body
from chapter02_distributed.api_server.store import Body, Objects
from chapter02_distributed.common.relay import relay_body


class ObjectsView(Resource):
    """Objects spread over the data servers."""

    def __init__(self, objects: Objects):
        self.objects = objects

    def put(self, name: str):
        """Stream the body to a random live data server."""
        self.objects.put(name, request_body(), request.content_length)
        return Response(status=200)

    def get(self, name: str):
        """Stream the object from the data server that holds it."""
        return body_response(self.objects.get(name))


def body_response(body: Body, status: int = 200) -> Response:
    """A streaming answer of ``body``: with its length when known, its headers, and spliced
    straight from the data server's socket when it comes from one (``relay``)."""
    chunks = body.chunks
    if isinstance(body.source, requests.Response):     # a data server's answer: splice it
        chunks = relay_body(body.source, request.environ, body.length)
    response = Response(chunks, status=status, mimetype="application/octet-stream", direct_passthrough=True)
    if body.length is not None:
        response.content_length = body.length
    response.headers.update(body.headers)
    return response
