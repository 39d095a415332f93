"""``/objects/<name>`` on the single server: PUT stores the body, GET streams it (book §4.1).

Go: ``chapter1/objects/{handler,get,put}.go``; one ``MethodView`` with one method per verb.
"""
import os
from typing import Iterator

from flask import Response, request
from werkzeug.wsgi import wrap_file

from chapter01_single.app import Resource
from chapter01_single.body import request_stream
from chapter01_single.errors import BadRequest
from chapter01_single.store import CHUNK, FileStore, read_chunks


class IncompleteBody(BadRequest):
    """The request body ended before its Content-Length: the client went away."""
    code = "IncompleteBody"


class ObjectsView(Resource):
    """Objects kept as files by a ``FileStore``."""

    def __init__(self, store: FileStore):
        self.store = store

    def get(self, name: str):
        """Stream the stored file (sendfile where the server can)."""
        return file_response(self.store.open(name))

    def put(self, name: str):
        """Store the streamed body under ``name``."""
        self.store.save(name, request_body())
        return Response(status=200)


def request_body(size: int = CHUNK) -> Iterator[bytes]:
    """The request body in chunks, the last one held back until the body is known complete.

    gunicorn simply ends the stream when a client hangs up early; without this check a short
    upload would be stored as if it were whole. Under gunicorn the chunks come straight from the
    socket (``body.SocketBody``), each exactly ``size`` bytes but the last.
    """
    expected, total, held = request.content_length, 0, None
    for chunk in read_chunks(request_stream(), size):
        total += len(chunk)
        if held is not None:
            yield held
        held = chunk
    if expected is not None and total != expected:
        raise IncompleteBody(f"got {total} of {expected} bytes")
    if held is not None:
        yield held


def file_response(file) -> Response:
    """A 200 streaming ``file`` with its exact Content-Length."""
    size = _size(file)
    body = wrap_file(request.environ, file, CHUNK)
    response = Response(body, mimetype="application/octet-stream", direct_passthrough=True)
    response.content_length = size
    return response


def _size(file) -> int:
    return os.fstat(file.fileno()).st_size
