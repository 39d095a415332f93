"""The object pipeline with ranged reads and resumable uploads (book §4.6).

Overrides chapter 5's ``open``: a read of a span asks every shard server to start at the block that
holds the first byte wanted (D13: nothing before it is read or decoded). Adds ``finish_upload``,
the end of a resumable upload (``temp/put.go``): the upload is checked once, then what was checked
is committed (or dropped when the content exists already) and becomes a version.
"""
import logging

from chapter02_distributed.api_server.store import Body
from chapter02_distributed.common.objectstream import DataServerError
from chapter03_metadata.common import digest
from chapter03_metadata.common.es import Version
from chapter05_erasure.api_server import store as chapter5
from chapter05_erasure.common import rs
from chapter05_erasure.common.shards import RSGetStream
from chapter06_resumable.common import ranges
from chapter06_resumable.common.resumable import ResumableUpload, UploadBusy

log = logging.getLogger(__name__)


class RangedGetStream(RSGetStream):
    """Chapter 5's stream from the block holding ``first`` up to byte ``last``, without repairs."""

    def __init__(self, locations, key: str, size: int, first: int, last: int):
        self.base = first // rs.BLOCK_SIZE * rs.BLOCK_SIZE
        self.first, self.last = first, last
        super().__init__(locations, key, size)

    def shard_headers(self) -> dict:
        return {"Range": f"bytes={self.base // rs.BLOCK_SIZE * rs.BLOCK_PER_SHARD}-"}

    def __iter__(self):
        return ranges.cut(super().__iter__(), self.first - self.base, self.last - self.first + 1)


class Objects(chapter5.Objects):
    """Chapter 5's objects, read whole or by span; resumable uploads end here."""

    def open(self, record: Version, span: tuple[int, int] | None = None) -> Body:
        """The content of ``record``, or only bytes ``first..last`` of it (``span``, inclusive)."""
        if span is None:
            return super().open(record)
        key = digest.key(record.hash)
        return self.read_span(key, self.locator.locate(key), record.size, span)

    def read_span(self, key: str, locations: dict[int, str], size: int, span: tuple[int, int]) -> Body:
        stream = RangedGetStream(locations, key, size, *span)
        return Body(stream, span[1] - span[0] + 1, source=stream)

    def finish_upload(self, upload: ResumableUpload, sha=None) -> Version:
        """Check the whole upload once (by ``sha`` when it saw every byte, else by reading the shards
        back), then commit what was checked (or drop it) and add the version. A commit that finds
        the upload written meanwhile by another request is 409, and the upload is gone."""
        record = upload.upload
        if not (upload.verify() if sha is None else digest.encode(sha.digest()) == record.hash):
            upload.drop()
            raise digest.DigestMismatch(f"the uploaded bytes do not hash to {record.hash}; upload dropped")
        if self.has_content(record.hash):
            upload.drop()              # stored meanwhile by someone else: keep one copy
            return self.metadata.add_version(record.name, record.hash, record.size)
        self.commit_upload(upload)
        return self.metadata.add_version(record.name, record.hash, record.size, **self.form_of())

    def commit_upload(self, upload: ResumableUpload) -> None:
        try:
            if not upload.commit():
                log.warning("upload %s: a temp changed or failed at commit; the object has 4-5 shards",
                            upload.upload.name)
        except (UploadBusy, DataServerError):
            # two requests that checked the same bytes may commit a part each: together, the object
            if not self.has_content(upload.upload.hash):
                raise
