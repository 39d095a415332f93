"""``/objects/<name>`` with deduplication and verify-then-commit (book §4.4).

Go: ``chapter4/apiServer/objects/{put,store,put_stream}.go``. Overrides chapter 3's
``store_object``. When the content already exists the body is still read and hashed (proof of
possession, D6): a client cannot attach content it does not have to a name, and the size is the
content's own. New content goes into a temp object on one data server, is verified while it
streams, and is committed only if its hash matches; otherwise the temp is dropped (D5).
"""
from typing import Iterable

from flask import request

from chapter01_single.errors import BadRequest, StorageError
from chapter03_metadata.api_server import objects as chapter3
from chapter03_metadata.common import digest
from chapter04_dedup.common.temp import TempUpload


class LengthRequired(StorageError):
    """A PUT must say its Content-Length: the data servers reserve exactly that much."""
    status, code = 411, "MissingContentLength"


class ObjectsView(chapter3.ObjectsView):
    """Content stored once, whatever the number of names that refer to it."""

    def store_object(self, claimed: str, chunks: Iterable[bytes]) -> int:
        size = content_length()
        if self.locator.locate(digest.key(claimed)):
            return prove_possession(chunks, claimed)
        body = chapter3.VerifiedBody(chunks, claimed)
        with TempUpload(self.choose_servers(1)[0], digest.key(claimed), size) as upload:
            upload.send(body)
            if body.size != size:
                raise BadRequest(f"the body has {body.size} bytes, not its Content-Length {size}")
            upload.commit()
        return body.size


def prove_possession(chunks: Iterable[bytes], claimed: str) -> int:
    """Read and hash the whole body (and drop it); its size is the stored object's."""
    body = chapter3.VerifiedBody(chunks, claimed)
    for _ in body:
        pass
    return body.size


def content_length() -> int:
    """The request's Content-Length, required from chapter 4 on."""
    if request.content_length is None:
        raise LengthRequired("send a Content-Length (chunked uploads cannot reserve space)")
    return request.content_length
