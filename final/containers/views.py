"""``/containers/`` on a data server: small objects' replicas, one request each (final/).

``PUT /containers/<key>`` stores the body (at most ``SMALL_OBJECT_LIMIT`` bytes, which must hash to
``key``: the data server checks content addresses itself) and answers once it is synced; a copy
already here is not written again. ``GET`` answers the bytes, ``DELETE`` appends a delete mark.
``GET /containers/`` lists the keys (NDJSON: key and write time, for the orphan collector) and
``POST /containers/?compact`` compacts now (for ``python -m final.compact``). A name that is not a
key is a 400 and nothing is written; a full disk is a 507.
"""
import hashlib
import json

from flask import Response, request

from chapter01_single.app import Resource
from chapter01_single.body import request_stream
from chapter01_single.errors import BadRequest, StorageError
from chapter01_single.objects import IncompleteBody
from chapter03_metadata.common import digest
from chapter04_dedup.api_server.store import required
from chapter04_dedup.data_server.objects import check_key
from final.containers.store import ContainerStore


class TooLarge(StorageError):
    """A replica is at most SMALL_OBJECT_LIMIT bytes; bigger objects are stored as shards."""
    status, code = 413, "EntityTooLarge"


class ContainersView(Resource):
    """Small objects' replicas in this data server's containers."""
    prefix = "/containers/"

    def __init__(self, containers: ContainerStore, limit: int, compactor=None):
        self.containers, self.limit, self.compactor = containers, limit, compactor

    def dispatch_request(self, **_route_values):
        return super(Resource, self).dispatch_request(name=request.path[len(self.prefix):])

    def put(self, name: str):
        key = check_key(name)
        size = required(request.content_length)
        if size > self.limit:
            raise TooLarge(f"{size} bytes: more than the {self.limit} a replica may hold")
        data = _read(size)
        if digest.key(digest.encode(hashlib.sha256(data).digest())) != key:
            raise digest.DigestMismatch(f"the body does not hash to {key}")
        stored = self.containers.put(key, data)
        return Response(json.dumps({"stored": stored}), mimetype="application/json")

    def get(self, name: str):
        if name == "":
            return Response(self._listing(), mimetype="application/x-ndjson")
        data = self.containers.get(check_key(name))
        return Response(data, mimetype="application/octet-stream")

    def delete(self, name: str):
        deleted = self.containers.delete(check_key(name))
        return Response(json.dumps({"deleted": deleted}), mimetype="application/json")

    def post(self, name: str):
        if name != "" or "compact" not in request.args or self.compactor is None:
            raise BadRequest("POST /containers/?compact is the only POST here")
        return Response(json.dumps({"compacted": self.compactor.compact_now(),
                                    "stats": vars(self.containers.stats())}), mimetype="application/json")

    def _listing(self):
        for key in self.containers.keys():
            written = self.containers.time_of(key)
            if written is not None:
                yield json.dumps({"key": key, "time": written}).encode() + b"\n"


def _read(size: int) -> bytes:
    """Exactly ``size`` bytes of the request body, or ``IncompleteBody``."""
    stream, chunks, got = request_stream(), [], 0
    while got < size and (chunk := stream.read(size - got)):
        chunks.append(chunk)
        got += len(chunk)
    if got != size:
        raise IncompleteBody(f"got {got} of {size} bytes")
    return b"".join(chunks)


class FastPath:
    """Speed only: ``GET`` and ``PUT /containers/<key>``, a data server's most frequent requests,
    answered before Flask (its routing, request and response objects cost more than the read or
    the append itself). Anything else goes to the Flask app, which answers it as usual; so does a
    GET that fails (for its error body)."""

    def __init__(self, app, containers: ContainerStore, limit: int):
        self.app, self.containers, self.limit = app, containers, limit

    def __call__(self, environ, start_response):
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD")
        name = path[len(ContainersView.prefix):]
        if not (path.startswith(ContainersView.prefix) and digest.KEY.match(name)):
            return self.app(environ, start_response)
        if method == "GET":
            try:
                return _answer(start_response, "200 OK", self.containers.get(name), "application/octet-stream")
            except StorageError:
                return self.app(environ, start_response)
        length = environ.get("CONTENT_LENGTH", "")
        if method != "PUT" or not length.isdigit() or int(length) > self.limit:
            return self.app(environ, start_response)
        data = environ["wsgi.input"].read(int(length))
        try:
            if len(data) != int(length):
                raise IncompleteBody(f"got {len(data)} of {length} bytes")
            if digest.key(digest.encode(hashlib.sha256(data).digest())) != name:
                raise digest.DigestMismatch(f"the body does not hash to {name}")
            stored = self.containers.put(name, data)
        except StorageError as error:
            return _answer(start_response, f"{error.status} {error.code}",
                           json.dumps({"error": error.code, "message": str(error)}).encode(), "application/json")
        return _answer(start_response, "200 OK", json.dumps({"stored": stored}).encode(), "application/json")


def _answer(start_response, status: str, body: bytes, kind: str) -> list[bytes]:
    start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body)))])
    return [body]
