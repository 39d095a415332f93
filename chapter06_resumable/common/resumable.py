"""A resumable upload over six temp shards (book §3.4 ``resumable_put.go``/``resumable_get.go``).

Fixed per D1, D5, D7, D21. The upload's state is its six temp shards on six data servers plus the
signed token. The bytes accepted so far are counted on the shards themselves: the shortest temp,
in whole 8000-byte shard blocks, times four (the whole size once every shard is complete), so
shards that drifted apart after a failure are lined up again by the next PATCH at that offset.
Only whole 32000-byte blocks are stored until the last one; the answer says how much was taken.

Two requests may write one upload at once (a client that retries while its first try still
runs, or a buggy one). Each shard is written by one of them at a time (409 for the other), but
the six shards can end up holding pieces of both. So the api commits only what it checked: every
temp answers the version its bytes are at, the check (the running hash, or the read-back) notes
the versions it covers, and each temp is committed only at that version (412 otherwise).
"""
import hashlib
import threading
from collections import OrderedDict
from typing import Iterable

from chapter01_single.errors import ObjectNotFound, StorageError
from chapter02_distributed.common.objectstream import DataServerError, HopPool, path, request, sized
from chapter03_metadata.common import digest
from chapter04_dedup.common.temp import TempUpload
from chapter05_erasure.common import rs
from chapter05_erasure.common.fetch import ShardFetch
from chapter05_erasure.common.shards import BATCH, ShardWriter, rebatch
from chapter06_resumable.common.headers import BEFORE, VERSION
from chapter06_resumable.common.token import Upload

_pool = HopPool(max_workers=12, thread_name_prefix="resumable")


class UploadNotFound(ObjectNotFound):
    """The upload is finished, aborted or swept: nothing is left to resume."""
    code = "NoSuchUpload"


class UploadBusy(StorageError):
    """Another request is writing this upload; try again once it is done."""
    status, code = 409, "UploadBusy"


class UploadChanged(UploadBusy):
    """Another request wrote the upload while this one checked and committed it."""


class OpenTemp(TempUpload):
    """A temp object that already exists (``POST`` was done by an earlier request)."""
    version: str | None = None      # the version of the bytes checked: the one to commit

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

    def send_at(self, offset: int, chunks: Iterable[bytes], length: int | None = None) -> str | None:
        """PATCH ``chunks`` (``length`` bytes when known) at shard byte ``offset``; 409 means
        another writer has the temp. Returns the version the temp had before (``version`` is
        the one after)."""
        response = request("PATCH", self.url, data=sized(chunks, length), headers={"offset": str(offset)})
        response.close()
        if response.status_code == 409:
            raise UploadBusy()
        if response.status_code == 404:
            raise UploadNotFound()
        if response.status_code != 200:
            raise DataServerError(f"PATCH {self.url} answered {response.status_code}")
        self.version = response.headers.get(VERSION)
        return response.headers.get(BEFORE)

    def commit_headers(self) -> dict:
        return {} if self.version is None else {VERSION: self.version}

    def commit(self) -> None:
        """Commit the temp at ``version``; 412 (it changed since) is ``UploadChanged``."""
        response = request("PUT", self.url, headers=self.commit_headers())
        response.close()
        if response.status_code == 412:
            raise UploadChanged("another request wrote this upload while it was being committed")
        if response.status_code != 200:
            raise DataServerError(f"PUT {self.url} answered {response.status_code}")
        self.committed = True


class AppendWriter(ShardWriter):
    """Chapter 5's shard writer, appending to an existing temp at an offset."""

    def __init__(self, temp: OpenTemp, offset: int, length: int | None = None):
        super().__init__(temp.server, temp.uuid, 0)
        self.temp, self.offset, self.length = temp, offset, length
        self.before: str | None = None

    def send(self) -> None:
        try:
            self.before = self.temp.send_at(self.offset, self._chunks(), self.length)
        except Exception as error:    # read by the feeding thread
            self.error = error


class ResumableUpload:
    """The six temp shards of one upload."""

    def __init__(self, upload: Upload):
        self.upload = upload
        self.temps = [OpenTemp(s, u) for s, u in zip(upload.servers, upload.uuids)]
        self.shard_size = rs.shard_size(upload.size)
        self.before: list | None = None     # the temps' versions when the last ``append`` began

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
        updated with exactly the bytes stored. Afterwards ``before`` holds the versions the temps
        had before it, and ``versions()`` the ones they are at.
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
        self.before = [w.before for w in writers]
        return stored

    def versions(self) -> list:
        return [t.version for t in self.temps]

    def shard_bytes(self, offset: int, length: int) -> int:
        """Bytes of each shard that a whole body of ``length`` at ``offset`` appends: whole blocks,
        and at the very end the short last one."""
        if offset + length >= self.upload.size:
            return rs.shard_size(length)
        return length // rs.BLOCK_SIZE * rs.BLOCK_PER_SHARD

    def verify(self) -> bool:
        """Whether the six complete shards decode to the upload's hash and the parity shards are
        those of the data shards (else a repair from them would rebuild other bytes). Notes the
        version of each temp read."""
        streams = []
        try:
            streams += [_read_temp(t) for t in self.temps]
            sha, done = hashlib.sha256(), 0
            while done < self.upload.size:
                length = min(BATCH, self.upload.size - done)
                want = rs.shard_size(length)
                shards = [_read_exactly(s, want) for s in streams]
                data = shards[:rs.DATA_SHARDS] + [None] * rs.PARITY_SHARDS
                if rs.reconstruct(data)[rs.DATA_SHARDS:] != shards[rs.DATA_SHARDS:]:
                    return False
                sha.update(rs.decode(data, length))
                done += length
            return digest.encode(sha.digest()) == self.upload.hash
        finally:
            for stream in streams:
                stream.close()

    def commit(self) -> bool:
        """Commit the six temps, each at the version checked; whether all six were. A temp
        written since stays out and is dropped: four checked shards make the object (a read
        repairs the rest); with fewer, the upload is dropped and this is ``UploadChanged``."""
        outcomes = [f.exception() for f in [_pool.submit(OpenTemp.commit, t) for t in self.temps]]
        errors = [e for e in outcomes if e is not None]
        if errors:
            self.drop()
        if len(self.temps) - len(errors) < rs.DATA_SHARDS:
            changed = [e for e in errors if isinstance(e, UploadChanged)]
            raise (changed or errors)[0]
        return not errors

    def drop(self) -> None:
        """Drop the temps not committed."""
        list(_pool.map(TempUpload.abort, [t for t in self.temps if not t.committed]))


def _read_temp(temp: OpenTemp) -> ShardFetch:
    fetch = ShardFetch(temp.server, path("temp", temp.uuid), {})
    status = fetch.answer()
    if status != 200:
        fetch.close()
        raise UploadNotFound() if status == 404 else DataServerError(f"GET {temp.url} answered {status}")
    temp.version = fetch.response.getheader(VERSION)
    return fetch


def _read_exactly(fetch: ShardFetch, size: int) -> bytearray:
    data = fetch.read(size)
    if data is None:
        raise DataServerError("a temp shard ended early")
    return data


class RunningHashes:
    """The SHA-256 of what this process stored of each upload, kept while it took every piece.

    The last piece then needs no read-back: the hash of all the bytes is already here. It holds
    only while no one else wrote the temps between two pieces: each entry keeps the versions the
    temps were left at, and the next piece checks that it found them so (``holds``). An upload
    whose pieces went to another api server (or to this one before a restart), or whose piece
    failed or found its temps changed, has no hash and is read back and checked (``verify``).
    """

    def __init__(self, most: int = 256):
        self.most = most
        self._hashes: OrderedDict = OrderedDict()     # upload token -> (bytes covered, sha, versions)
        self._lock = threading.Lock()

    def resume(self, upload: str, offset: int) -> tuple:
        """(hash of the upload's first ``offset`` bytes, the versions the temps must be found at),
        or (None, None); taken, so that one writer goes on with it. At 0 no version matters: the
        piece rewrites every temp from its start."""
        with self._lock:
            covered, sha, versions = self._hashes.pop(upload, (None, None, None))
        if offset == 0:
            return hashlib.sha256(), None
        return (sha, versions) if covered == offset else (None, None)

    @staticmethod
    def holds(versions, upload: ResumableUpload) -> bool:
        """Whether the piece just appended found the temps as the hash left them."""
        return versions is None or upload.before == versions

    def keep(self, upload: str, covered: int, sha, versions: list) -> None:
        if sha is None or None in versions:
            return
        with self._lock:
            self._hashes[upload] = (covered, sha, versions)
            while len(self._hashes) > self.most:
                self._hashes.popitem(last=False)
