"""``HEAD`` and ``PUT /temp/<token>``: resume an upload (book §4.6).

Go: ``chapter6/apiServer/temp/{handler,head,put}.go``. HEAD answers ``Content-Length`` = the bytes
accepted so far. PUT takes ``Range: bytes=<offset>-`` (offset = what HEAD said, else 416) and a
Content-Length; it stores whole 32000-byte blocks and answers how much it kept in
``Upload-Offset``. When the last byte is in, the pipeline's ``finish_upload`` checks the whole
upload once against its hash: a match is committed (or dropped when the content exists already)
and becomes a version; a mismatch drops the upload (400).
"""
import re

from flask import Response, request
from flask.views import MethodView

from chapter01_single.app import Resource
from chapter01_single.errors import BadRequest
from chapter01_single.objects import request_body
from chapter04_dedup.api_server.store import required
from chapter05_erasure.common.shards import BATCH
from chapter06_resumable.api_server.store import Objects
from chapter06_resumable.api_server.uploads import Uploads
from chapter06_resumable.common.ranges import RangeNotSatisfiable
from chapter06_resumable.common.resumable import RunningHashes


class TempView(Resource):
    """Resumable uploads, named by their token."""
    prefix = "/temp/"

    def __init__(self, uploads: Uploads, objects: Objects):
        self.uploads, self.objects = uploads, objects
        self.hashes = RunningHashes()

    def dispatch_request(self, **_route_values):
        return MethodView.dispatch_request(self, name=request.path[len(self.prefix):])

    def head(self, name: str):
        response = Response(status=200)
        response.content_length = self.uploads.resume(name).accepted()
        return response

    def put(self, name: str):
        upload = self.uploads.resume(name)
        offset, length = upload_offset(), required(request.content_length)
        current = upload.accepted()
        if offset != current:
            raise RangeNotSatisfiable(f"the upload continues at byte {current}, not {offset}",
                                      headers=[("Content-Range", f"bytes */{current}")])
        if offset + length > upload.upload.size:
            raise BadRequest(f"the upload is {upload.upload.size} bytes; this would end at {offset + length}")
        sha, versions = self.hashes.resume(name, offset)
        stored = upload.append(offset, request_body(BATCH), length, sha)
        if not self.hashes.holds(versions, upload):
            sha = None               # another request wrote the temps since: read them back
        if stored == upload.upload.size:
            self.objects.finish_upload(upload, sha)
        else:
            self.hashes.keep(name, stored, sha, upload.versions())
        return Response(status=200, headers={"Upload-Offset": str(stored)})


def upload_offset() -> int:
    """``Range: bytes=<offset>-`` of a PUT (no Range: 0)."""
    header = request.headers.get("Range")
    if header is None:
        return 0
    match = re.fullmatch(r"bytes=(\d{1,15})-", header.strip())
    if not match:
        raise BadRequest("Range must be bytes=<offset>-")
    return int(match.group(1))
