"""Shard streams between the api and six data servers (book §3.4 ``RSPutStream``/``RSGetStream``).

Fixed per D4, D5, D13: each shard goes to its server as one streaming temp upload (``POST`` +
one ``PATCH`` + ``PUT``), the six in parallel, fed through bounded queues; any shard failure drops
all six temps. Reading needs any four shards; every located shard is read (so a corrupt one is
found; the parity shards only after the first batch went out when the four data shards are
there), and shards missing or failing in the first batch are rebuilt on the side and written back
(best effort: a repair that cannot keep up is dropped, never slowing the GET).

    object bytes:  | block 0 (32000) | block 1 | ... |      a batch = BATCH_BLOCKS blocks
    shard i:       | 8000 of block 0 | 8000 of block 1 | ...  (the book's per-block layout)
"""
import contextvars
import logging
import queue
import threading
import time
from typing import Iterable, Iterator

from chapter01_single.errors import ServiceUnavailable
from chapter02_distributed.common.objectstream import DataServerError, HopPool, path
from chapter04_dedup.common.temp import TempUpload
from chapter05_erasure.common import rs
from chapter05_erasure.common.fetch import ShardFetch

BATCH_BLOCKS = 32
BATCH = BATCH_BLOCKS * rs.BLOCK_SIZE        # object bytes encoded or decoded at once
FIRST_BATCH = 2 * rs.BLOCK_SIZE             # a GET's first batch is small: its first byte goes out sooner
QUEUE_DEPTH = 4                              # batches buffered per shard writer
PUT_WAIT = 30                                # seconds a writer may stall before the PUT fails

log = logging.getLogger(__name__)
_pool = HopPool(max_workers=12, thread_name_prefix="shard")              # on a request's path
_background = HopPool(max_workers=4, thread_name_prefix="shard-repair")   # never waited for


class ShardsUnavailable(ServiceUnavailable):
    """Fewer than four shards of the object can be read; try again later."""


class ShardWriter(threading.Thread):
    """One shard's temp upload, fed by ``put`` and sent as one streaming PATCH."""
    temp_class = TempUpload         # chapter 7 sends a shard of unknown length

    def __init__(self, server: str, name: str, size: int):
        super().__init__(name=f"shard-writer {name}", daemon=True)
        self.server, self.shard_name, self.size = server, name, size
        self.queue: queue.Queue = queue.Queue(QUEUE_DEPTH)
        self.temp: TempUpload | None = None
        self.error: Exception | None = None
        self.aborted = threading.Event()
        self.context = contextvars.copy_context()    # the creating request's: its hops' HOP_HEADERS

    def run(self) -> None:
        self.context.run(self.send)

    def send(self) -> None:
        """This thread's work: the temp upload, fed from the queue."""
        try:
            self.temp = self.temp_class(self.server, self.shard_name, self.size)
            self.temp.send(self._chunks())
        except Exception as error:   # reported through self.error, read by the feeding thread
            self.error = error

    def put(self, chunk, wait: float = PUT_WAIT) -> bool:
        """Queue ``chunk``; False as soon as the writer failed, or when it took nothing for ``wait`` s."""
        deadline = time.monotonic() + wait
        while self.error is None and self.is_alive():
            try:
                self.queue.put(chunk, timeout=min(0.1, max(deadline - time.monotonic(), 0.001)))
                return True
            except queue.Full:
                if time.monotonic() >= deadline:
                    return False
        return False

    def finish(self) -> None:
        """End the PATCH normally and wait for the thread."""
        if self.put(None):
            self.join(PUT_WAIT)

    def abort(self) -> None:
        """Cut the PATCH at once (the data server keeps nothing of it)."""
        self.aborted.set()
        self.join(2)

    def drop(self) -> None:
        """Abort the upload and delete its temp object."""
        self.abort()
        if self.temp is not None:
            self.temp.abort()

    def _chunks(self) -> Iterator[bytes]:
        while not self.aborted.is_set():
            try:
                item = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if item is None:
                return
            if self.aborted.is_set():
                break
            yield item
        raise DataServerError(f"upload of {self.shard_name} aborted")


class RSPutStream:
    """Encode an object of ``size`` bytes into 6 shards streamed to 6 servers; ``commit`` or drop them all."""
    writer_class = ShardWriter

    def __init__(self, servers: list[str], key: str, size: int):
        self.writers = [self.writer_class(s, f"{key}.{i}", rs.shard_size(size)) for i, s in enumerate(servers)]
        for writer in self.writers:
            writer.start()

    def write(self, chunks: Iterable[bytes]) -> None:
        """Encode ``chunks`` (the whole object, in any sizes) batch by batch."""
        for batch in rebatch(chunks, BATCH):
            for writer, shard in zip(self.writers, rs.encode(batch)):
                if not writer.put(shard):
                    raise writer.error or DataServerError(f"{writer.server} stalled")

    def commit(self) -> None:
        """End the six PATCHes, then commit the six temps (all or nothing)."""
        for writer in self.writers:
            writer.finish()
        failed = [w for w in self.writers if w.error or w.is_alive() or w.temp is None]
        if failed:
            raise failed[0].error or DataServerError(f"shard upload to {failed[0].server} did not finish")
        list(_pool.map(lambda w: self.commit_temp(w.temp), self.writers))

    def commit_temp(self, temp: TempUpload) -> None:
        temp.commit()

    def drop(self) -> None:
        list(_pool.map(lambda w: w.drop(), self.writers))

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        if kind is not None or not all(w.temp and w.temp.committed for w in self.writers):
            self.drop()


class RSGetStream:
    """The object decoded from any four of its shards, with best-effort repair of the others.

    When the four data shards are all located, they alone are opened before the first batch is
    sent (they are the object); the parity shards are opened, checked and repaired just after it.
    """
    base = 0                    # the object byte (a block boundary) where reading starts
    background_repairs = True   # commit repairs after the response, without waiting (a tool waits)
    repair_wait = 0.0           # seconds a batch may wait for a slow repair before it is dropped

    def __init__(self, locations: dict[int, str], key: str, size: int, repair_target=None):
        self.key, self.size, self.locations = key, size, locations
        self.repair_target = repair_target          # (shard index, own server or None) -> server
        self.readers: dict[int, ShardFetch] = {}
        self.repairs: dict[int, ShardWriter] = {}
        self.repaired: list[int] = []             # filled when repairs are committed in the foreground
        self.dropped: list[int] = []              # shards that failed while being read
        data = [i for i in locations if i < rs.DATA_SHARDS]
        self._later = [i for i in locations if i >= rs.DATA_SHARDS] if len(data) == rs.DATA_SHARDS else []
        try:
            self._first = self._read_batch(self.base, self._open([i for i in locations if i not in self._later]))
            if any(self._first[i] is None for i in range(rs.DATA_SHARDS)) and self._later:
                self._open_later(self._first)     # a data shard failed: the parity is needed now
            if sum(c is not None for c in self._first) < rs.DATA_SHARDS:
                raise ShardsUnavailable(f"fewer than {rs.DATA_SHARDS} shards of {self.key} are readable")
        except BaseException:
            self.close()
            raise

    def __iter__(self) -> Iterator[bytes]:
        try:
            done, shards = self.base, self._first
            length = self._batch_length(done)
            yield rs.decode(shards, length)          # the first batch goes out before the parity is read
            self._open_later(shards)
            self._start_repairs(shards)
            while True:
                done += length
                if done >= self.size:
                    break
                length = self._batch_length(done)
                shards = self._read_batch(done)
                if sum(c is not None for c in shards) < rs.DATA_SHARDS:
                    raise ShardsUnavailable(f"fewer than {rs.DATA_SHARDS} shards of {self.key} are readable")
                yield self._decode(shards, length)
            self._commit_repairs()
        finally:
            self.close()

    def close(self) -> None:
        for reader in self.readers.values():
            reader.close()
        self.readers = {}
        for writer in self.repairs.values():
            _background.submit(writer.drop)
        self.repairs = {}

    def _open(self, indexes: list[int]) -> dict[int, ShardFetch]:
        """Send the GETs of shards ``indexes`` together, then keep those that answer 200/206."""
        sent = {i: ShardFetch(self.locations[i], path("objects", f"{self.key}.{i}"), self.shard_headers())
                for i in indexes}
        opened = {}
        for index, fetch in sent.items():
            if fetch.answer() in (200, 206):
                opened[index] = fetch
            else:
                fetch.close()
        self.readers.update(opened)
        return opened

    def _open_later(self, first: list) -> None:
        """Open the shards held back from the first batch and read their part of it into ``first``."""
        later, self._later = self._later, []
        if later:
            for index, chunk in enumerate(self._read_batch(self.base, self._open(later))):
                if index in later:
                    first[index] = chunk

    def shard_headers(self) -> dict:
        """Headers of the shard GETs (chapter 6 asks for a range)."""
        return {}

    def _batch_length(self, done: int) -> int:
        """Object bytes in the batch that starts at ``done``."""
        return min(FIRST_BATCH if done == self.base else BATCH, self.size - done)

    def _read_batch(self, done: int, readers: dict | None = None) -> list:
        """The shard chunks of the batch starting at object byte ``done`` (None: missing or failed)."""
        want = rs.shard_size(self._batch_length(done))
        chunks: list = [None] * rs.ALL_SHARDS
        for index, reader in list((self.readers if readers is None else readers).items()):
            chunk = reader.read(want)
            if chunk is None:     # a server died or cut a corrupt shard
                log.warning("shard %s.%d failed at object byte %d", self.key, index, done)
                reader.close()
                del self.readers[index]
                self.dropped.append(index)
            else:
                chunks[index] = chunk
        return chunks

    def _decode(self, shards: list, length: int) -> bytes:
        if self.repairs:
            self._feed_repairs(shards)
        return rs.decode(shards, length)

    def _feed_repairs(self, shards: list) -> None:
        full = rs.reconstruct(shards)
        for index, writer in list(self.repairs.items()):
            if not writer.put(full[index], wait=self.repair_wait):
                log.warning("repair of %s.%d dropped: it could not keep up", self.key, index)
                _background.submit(self.repairs.pop(index).drop)

    def _start_repairs(self, first: list) -> None:
        """Rewrite the shards missing from the first batch, starting with their part of it."""
        if self.repair_target is None:
            return
        for index in range(rs.ALL_SHARDS):
            if first[index] is None:
                server = self.repair_target(index, self.locations.get(index))
                if server:
                    self.repairs[index] = ShardWriter(server, f"{self.key}.{index}", rs.shard_size(self.size))
                    self.repairs[index].start()
        if self.repairs:
            self._feed_repairs(first)

    def _commit_repairs(self) -> None:
        """Finish and commit the repairs in the background: the response is complete."""
        for index, writer in self.repairs.items():
            if self.background_repairs:
                _background.submit(_commit_repair, writer, f"{self.key}.{index}")
            elif _commit_repair(writer, f"{self.key}.{index}"):
                self.repaired.append(index)
        self.repairs = {}


def _commit_repair(writer: ShardWriter, name: str) -> bool:
    writer.finish()
    try:
        if writer.error is not None or writer.temp is None:
            raise writer.error or DataServerError("the repair upload did not start")
        writer.temp.commit()
        log.info("repaired shard %s on %s", name, writer.server)
        return True
    except DataServerError as error:
        log.warning("repair of %s failed: %s", name, error)
        writer.drop()
        return False


def rebatch(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """Regroup ``chunks`` into pieces of exactly ``size`` bytes, then one shorter last piece."""
    buffer = bytearray()
    for chunk in chunks:
        if not buffer and len(chunk) == size:      # already a whole piece: pass it on uncopied
            yield chunk
            continue
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)
