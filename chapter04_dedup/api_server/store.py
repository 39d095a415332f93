"""The object pipeline with deduplication and verify-then-commit (book §4.4 ``objects/{put,store}.go``).

Overrides chapter 3's ``store_content``. When the content already exists the body is still read
and hashed (proof of possession, D6): a client cannot attach content it does not have to a name,
and the size is the content's own. New content (``put_new``) goes into a temp object on one data
server, is verified while it streams, and is committed only if its hash matches; otherwise the
temp is dropped (D5).
"""
from typing import Iterable

from chapter01_single.errors import BadRequest, StorageError
from chapter03_metadata.api_server import store as chapter3
from chapter03_metadata.api_server.store import VerifiedBody
from chapter03_metadata.common import digest
from chapter04_dedup.common.temp import TempUpload


class LengthRequired(StorageError):
    """An upload must say its length: the data servers reserve exactly that much."""
    status, code = 411, "MissingContentLength"


class Objects(chapter3.Objects):
    """Content stored once, whatever the number of names that refer to it."""

    def store_content(self, claimed: str, chunks: Iterable[bytes], size: int | None) -> dict:
        size = required(size)
        if self.has_content(claimed):
            return self.reuse(claimed, chunks)
        body = VerifiedBody(chunks, claimed)
        fields = self.put_new(digest.key(claimed), body, size)
        return {"size": body.size, **fields}

    def has_content(self, hash: str) -> bool:
        """Whether the content of ``hash`` is stored already (a data server holds it)."""
        return bool(self.locator.locate(digest.key(hash)))

    def reuse(self, claimed: str, chunks: Iterable[bytes]) -> dict:
        """Content stored already: the body is read and hashed all the same (proof of possession)
        and dropped; the version records the size it had."""
        return {"size": prove_possession(chunks, claimed)}

    def put_new(self, key: str, body: VerifiedBody, size: int) -> dict:
        """Upload new content as ``key``: a temp on one data server, committed once verified.
        Returns what the version records of its stored form (chapter 4: nothing more)."""
        with TempUpload(self.choose_servers(1)[0], key, size) as upload:
            upload.send(body)
            check_size(body, size)
            upload.commit()
        return {}


def prove_possession(chunks: Iterable[bytes], claimed: str) -> int:
    """Read and hash the whole body (and drop it); its size is the stored object's."""
    body = VerifiedBody(chunks, claimed)
    for _ in body:
        pass
    return body.size


def required(size: int | None) -> int:
    """The upload's announced length, required from chapter 4 on."""
    if size is None:
        raise LengthRequired("send a Content-Length (chunked uploads cannot reserve space)")
    return size


def check_size(body: VerifiedBody, size: int) -> None:
    """A body that hashed right but was not ``size`` bytes long is refused (nothing is committed)."""
    if body.size != size:
        raise BadRequest(f"the body has {body.size} bytes, not its Content-Length {size}")
