"""A resumable upload over six temp shards (book §3.4 ``resumable_put.go``/``resumable_get.go``).

Fixed per D1, D5, D7, D21. The upload's state is its six temp shards on six data servers plus the
signed token. The bytes accepted so far are counted on the shards themselves: the shortest temp,
in whole 8000-byte shard blocks, times four (the whole size once every shard is complete), so
shards that drifted apart after a failure are lined up again by the next PATCH at that offset.
Only whole 32000-byte blocks are stored until the last one; the answer says how much was taken.
"""
import hashlib
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable

from chapter01_single.errors import ObjectNotFound, StorageError
from chapter02_distributed.common.objectstream import DataServerError, request, sized
from chapter03_metadata.common import digest
from chapter04_dedup.common.temp import TempUpload
from chapter05_erasure.common import rs
from chapter05_erasure.common.fetch import ShardFetch, path
from chapter05_erasure.common.shards import BATCH, ShardWriter, rebatch
from chapter06_resumable.common.token import Upload

_pool = ThreadPoolExecutor(max_workers=12, thread_name_prefix="resumable")


class UploadNotFound(ObjectNotFound):
    """The upload is finished, aborted or swept: nothing is left to resume."""
    code = "NoSuchUpload"


class UploadBusy(StorageError):
    """Another request is writing this upload; try again once it is done."""
    status, code = 409, "UploadBusy"


class OpenTemp(TempUpload):
    """A temp object that already exists (``POST`` was done by an earlier request)."""

    def __init__(self, server: str, temp_id: str):
        self.server, self.uuid, self.committed = server, temp_id, False

    def size(self) -> int:
        response = request("HEAD", self.url)
        response.close()
        if response.status_code == 404:
            raise UploadNotFound()
        if response.status_code != 200:
            raise DataServerError(f"HEAD {self.url} answered {response.status_code}")
        return int(response.headers["Content-Length"])

    def send_at(self, offset: int, chunks: Iterable[bytes], length: int | None = None) -> None:
        """PATCH ``chunks`` (``length`` bytes when known) at shard byte ``offset``; 409 means
        another writer has the temp."""
        response = request("PATCH", self.url, data=sized(chunks, length), headers={"offset": str(offset)})
        response.close()
        if response.status_code == 409:
            raise UploadBusy()
        if response.status_code == 404:
            raise UploadNotFound()
        if response.status_code != 200:
            raise DataServerError(f"PATCH {self.url} answered {response.status_code}")


class AppendWriter(ShardWriter):
    """Chapter 5's shard writer, appending to an existing temp at an offset."""

    def __init__(self, temp: OpenTemp, offset: int, length: int | None = None):
        super().__init__(temp.server, temp.uuid, 0)
        self.temp, self.offset, self.length = temp, offset, length

    def run(self) -> None:
        try:
            self.temp.send_at(self.offset, self._chunks(), self.length)
        except Exception as error:    # read by the feeding thread
            self.error = error


class ResumableUpload:
    """The six temp shards of one upload."""

    def __init__(self, upload: Upload):
        self.upload = upload
        self.temps = [OpenTemp(s, u) for s, u in zip(upload.servers, upload.uuids)]
        self.shard_size = rs.shard_size(upload.size)

    @staticmethod
    def create(servers: list[str], key: str, size: int) -> list[str]:
        """Open the six temps; returns their uuids (none is left behind on failure)."""
        futures = [_pool.submit(TempUpload, s, f"{key}.{i}", rs.shard_size(size)) for i, s in enumerate(servers)]
        temps = [f.exception() or f.result() for f in futures]
        failed = [t for t in temps if isinstance(t, Exception)]
        if failed:
            for temp in temps:
                if isinstance(temp, TempUpload):
                    temp.abort()
            raise failed[0]
        return [t.uuid for t in temps]

    def accepted(self) -> int:
        """Object bytes safely stored on all six shards."""
        shortest = min(_pool.map(OpenTemp.size, self.temps))
        if shortest >= self.shard_size:
            return self.upload.size
        return shortest // rs.BLOCK_PER_SHARD * rs.BLOCK_SIZE

    def append(self, offset: int, chunks: Iterable[bytes], length: int | None = None, sha=None) -> int:
        """Store the body (``length`` bytes, if known) from object byte ``offset`` (a block
        boundary); returns the new total.

        With ``length``, each shard goes with its Content-Length, which a data server reads with
        less work than a chunked body; a body that ends short then cuts the six PATCHes (what
        arrived stays, and ``accepted`` counts it). ``sha`` (a hashlib object), when given, is
        updated with exactly the bytes stored.
        """
        shard = None if length is None else self.shard_bytes(offset, length)
        writers = [AppendWriter(t, offset // rs.BLOCK_SIZE * rs.BLOCK_PER_SHARD, shard) for t in self.temps]
        for writer in writers:
            writer.start()
        stored = offset
        try:
            for batch in rebatch(chunks, BATCH):
                if stored + len(batch) < self.upload.size:
                    batch = batch[:len(batch) // rs.BLOCK_SIZE * rs.BLOCK_SIZE]   # whole blocks only
                for writer, shard in zip(writers, rs.encode(batch)):
                    if not writer.put(shard):
                        raise writer.error or DataServerError(f"{writer.server} stalled")
                stored += len(batch)
                if sha is not None:
                    sha.update(batch)
        except (UploadBusy, UploadNotFound, DataServerError):
            for writer in writers:
                writer.abort()
            raise
        except Exception:       # the client went away: keep the whole batches already sent
            pass
        for writer in writers:
            writer.finish()
        errors = [w.error for w in writers if w.error]
        if errors:
            raise errors[0]
        return stored

    def shard_bytes(self, offset: int, length: int) -> int:
        """Bytes of each shard that a whole body of ``length`` at ``offset`` appends: whole blocks,
        and at the very end the short last one."""
        if offset + length >= self.upload.size:
            return rs.shard_size(length)
        return length // rs.BLOCK_SIZE * rs.BLOCK_PER_SHARD

    def verify(self) -> bool:
        """Whether the six complete shards decode to the upload's hash (the data shards suffice)."""
        streams = [_read_temp(t) for t in self.temps[:rs.DATA_SHARDS]]
        try:
            sha, done = hashlib.sha256(), 0
            while done < self.upload.size:
                length = min(BATCH, self.upload.size - done)
                want = rs.shard_size(length)
                shards = [_read_exactly(s, want) for s in streams] + [None, None]
                sha.update(rs.decode(shards, length))
                done += length
            return digest.encode(sha.digest()) == self.upload.hash
        finally:
            for stream in streams:
                stream.close()

    def commit(self) -> None:
        list(_pool.map(TempUpload.commit, self.temps))

    def drop(self) -> None:
        list(_pool.map(TempUpload.abort, self.temps))


def _read_temp(temp: OpenTemp) -> ShardFetch:
    fetch = ShardFetch(temp.server, path("temp", temp.uuid), {})
    status = fetch.answer()
    if status != 200:
        fetch.close()
        raise UploadNotFound() if status == 404 else DataServerError(f"GET {temp.url} answered {status}")
    return fetch


def _read_exactly(fetch: ShardFetch, size: int) -> bytearray:
    data = fetch.read(size)
    if data is None:
        raise DataServerError("a temp shard ended early")
    return data


class RunningHashes:
    """The SHA-256 of what this process stored of each upload, kept while it took every piece.

    The last piece then needs no read-back: the hash of all the bytes is already here. An upload
    whose pieces went to another api server (or to this one before a restart), or whose piece
    failed, has no entry and is read back and hashed (``verify``), as the book does.
    """

    def __init__(self, most: int = 256):
        self.most = most
        self._hashes: OrderedDict = OrderedDict()     # upload token -> (bytes covered, sha)
        self._lock = threading.Lock()

    def resume(self, upload: str, offset: int):
        """A hash of the upload's first ``offset`` bytes to go on with, or None (taken: one writer)."""
        if offset == 0:
            return hashlib.sha256()
        with self._lock:
            covered, sha = self._hashes.pop(upload, (None, None))
        return sha if covered == offset else None

    def keep(self, upload: str, covered: int, sha) -> None:
        if sha is None:
            return
        with self._lock:
            self._hashes[upload] = (covered, sha)
            while len(self._hashes) > self.most:
                self._hashes.popitem(last=False)
