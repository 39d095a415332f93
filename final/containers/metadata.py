"""Versions that say where a small object's replicas are (final/).

A small object (at most ``SMALL_OBJECT_LIMIT`` bytes) is kept whole, as three replicas in the
containers of three data servers; its version records their addresses in ``replicas``, so a GET
asks one of them straight away, with no locate. Chapter 7's record otherwise (a big object's
``replicas`` is empty). Each lean call is logged at DEBUG on ``CALLS`` as the official client logs
its own (``METHOD path [status:S duration:Ds]``; args: method, path, status, seconds).
"""
import http.client
import json
import logging
import queue
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field

from chapter03_metadata.common import es as chapter3
from chapter07_gzip.common import es as chapter7
from chapter08_maintenance.common import es as chapter8

MAPPING = {"properties": {**chapter7.MAPPING["properties"], "replicas": {"type": "keyword"}}}
CALLS = logging.getLogger("final.containers.elasticsearch")     # one DEBUG record per lean call


@dataclass(frozen=True)
class ReplicatedVersion(chapter7.PackedVersion):
    """Chapter 7's record plus ``replicas``: the data servers that keep the object whole."""
    replicas: tuple = ()

    @classmethod
    def from_source(cls, source: dict) -> "ReplicatedVersion":
        record = chapter7.PackedVersion.from_source(source)
        replicas = source.get("replicas") or ()
        return cls(record.name, record.version, record.size, record.hash, record.packed,
                   tuple(r for r in replicas if isinstance(r, str)))


class LeanDocuments:
    """The three document calls of every version read and write, on a kept-alive ``http.client``
    connection per thread (speed only: the official client spends ~650 µs of CPU on a get by id,
    this ~200 µs; every other call stays the official client's)."""

    def __init__(self, server: str, index: str = "metadata", timeout: float = chapter3.TIMEOUT):
        super().__init__(server, index, timeout)
        url = urllib.parse.urlsplit(server if server.startswith("http") else f"http://{server}")
        self._address, self._timeout, self._local = (url.hostname, url.port or 9200), timeout, threading.local()

    def _get_doc(self, index: str, doc_id: str) -> dict | None:
        status, body = self._call("GET", f"/{index}/_doc/{doc_id}")
        return body if status == 200 and body.get("found") else None

    def _create_doc(self, index: str, doc_id: str, document: dict) -> bool:
        return self._call("PUT", f"/{index}/_create/{doc_id}", document)[0] != 409

    def _index_doc(self, index: str, doc_id: str, document: dict, seq_no: int, term: int) -> bool:
        query = f"?if_seq_no={seq_no}&if_primary_term={term}"
        return self._call("PUT", f"/{index}/_doc/{doc_id}{query}", document)[0] != 409

    def _call(self, method: str, path: str, document=None, ndjson: bytes | None = None) -> tuple[int, dict]:
        """(status, JSON body) of one request; 200, 201, 404 and 409 are answers, the rest 503."""
        body = ndjson if ndjson is not None else json.dumps(document).encode() if document is not None else None
        kind = "application/x-ndjson" if ndjson is not None else "application/json"
        started, status = time.perf_counter(), "N/A"
        try:
            status, data = self._exchange(method, path, body, kind)
        finally:
            if CALLS.isEnabledFor(logging.DEBUG):      # made by hand: Logger.debug would look for its caller's frame
                CALLS.handle(CALLS.makeRecord(CALLS.name, logging.DEBUG, __file__, 0,
                                              "%s %s [status:%s duration:%.3fs]",
                                              (method, path, status, time.perf_counter() - started), None))
        if status not in (200, 201, 404, 409):
            chapter3.log.warning("Elasticsearch answered %d to %s %s: %s", status, method, path, data[:300])
            raise chapter3.MetadataUnavailable(f"the metadata service answered {status}")
        return status, json.loads(data) if data else {}

    def _exchange(self, method: str, path: str, body: bytes | None, kind: str) -> tuple[int, bytes]:
        """(status, body bytes) of one request on this thread's kept connection."""
        for attempt in range(2):                 # a kept connection the server closed: once more
            connection = self._connection()
            try:
                connection.request(method, path, body, {"Content-Type": kind} if body else {})
                answer = connection.getresponse()
                return answer.status, answer.read()
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                self._local.connection = None
                if attempt or method != "GET" or isinstance(error, TimeoutError):     # only a read is redone
                    raise chapter3.MetadataUnavailable(f"the metadata service failed: {error!r}") from None

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = http.client.HTTPConnection(*self._address, timeout=self._timeout)
        return connection


class BatchedVersions:
    """New versions written in batches, like container records (group commit): concurrent PUTs'
    versions cost one read of their heads (``_mget``) and two ``_bulk`` writes together, instead
    of three requests each, and Elasticsearch syncs its translog once per write request, not once
    per version. A version whose number another writer took meanwhile, or whose head changed, is
    finished alone by chapter 3's path (fresh reads, bounded retries)."""
    MAX_BATCH = 256

    def add_version(self, name: str, hash: str, size: int, **fields):
        item = _Pending(name, hash, size, fields)
        self._batcher().queue.put(item)
        item.done.wait()
        if item.error is not None:
            raise item.error
        return item.record

    def add_version_alone(self, name: str, hash: str, size: int, **fields):
        return super().add_version(name, hash, size, **fields)

    def _batcher(self) -> "_Batcher":
        with _batchers_lock:
            batcher = getattr(self, "_batch_thread", None)
            if batcher is None or not batcher.is_alive():
                batcher = self._batch_thread = _Batcher(self)
            return batcher


class Metadata(BatchedVersions, LeanDocuments, chapter7.Metadata):
    """Chapter 7's metadata client with final/'s records, lean document calls and batched versions."""
    record_class = ReplicatedVersion
    mapping = MAPPING


@dataclass
class _Pending:
    name: str
    hash: str
    size: int
    fields: dict
    record: object = None
    error: Exception | None = None
    done: threading.Event = field(default_factory=threading.Event)


_batchers_lock = threading.Lock()


class _Batcher(threading.Thread):
    """The thread that writes one metadata client's new versions, a batch at a time."""

    def __init__(self, metadata):
        super().__init__(name="version-batcher", daemon=True)
        self.metadata, self.queue = metadata, queue.Queue()
        self.start()

    def run(self) -> None:
        while True:
            batch = [self.queue.get()]
            while len(batch) < self.metadata.MAX_BATCH:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            try:
                alone = self._write(batch)
            except chapter3.MetadataUnavailable as error:
                for item in batch:
                    item.error = error
                    item.done.set()
                continue
            for item in alone:                  # numbers taken meanwhile: chapter 3's way, one by one
                try:
                    item.record = self.metadata.add_version_alone(item.name, item.hash, item.size, **item.fields)
                except Exception as error:       # reported to the caller that waits for it
                    item.error = error
                item.done.set()

    def _write(self, batch: list[_Pending]) -> list[_Pending]:
        """Write the batch's versions and heads; the items left to write one by one."""
        metadata = self.metadata
        metadata.ensure_indices()
        heads = self._heads({item.name for item in batch})
        taken: dict[str, int] = {}
        for item in batch:                       # numbers after each name's head, in arrival order
            taken[item.name] = taken.get(item.name, heads[item.name][0]) + 1
            item.record = metadata.record_class(item.name, taken[item.name], item.size, item.hash, **item.fields)
        created = self._bulk([("create", metadata.index, chapter3._version_id(i.name, i.record.version), None,
                               asdict(i.record)) for i in batch])
        alone = [item for item, ok in zip(batch, created) if not ok]
        newest = {}
        for item, ok in zip(batch, created):
            if ok:
                newest[item.name] = item
        updates = [("index" if heads[n][1] is not None else "create", metadata.heads, chapter3._name_id(n),
                    heads[n][1:], asdict(item.record)) for n, item in newest.items()]
        for (_, _, _, _, _), item, ok in zip(updates, newest.values(), self._bulk(updates)):
            if not ok:                           # the head moved: chapter 3's bounded retry
                metadata._advance_head(item.record)
        for item in batch:
            if item not in alone:
                item.done.set()
        return alone

    def _heads(self, names: set[str]) -> dict[str, tuple]:
        """name -> (newest version number, seq_no, primary term), (0, None, None) when it has none."""
        names = sorted(names)
        _, found = self.metadata._call("POST", f"/{self.metadata.heads}/_mget",
                                       {"ids": [chapter3._name_id(n) for n in names]})
        heads = {}
        for name, doc in zip(names, found.get("docs", [])):
            heads[name] = ((int(doc["_source"]["version"]), doc["_seq_no"], doc["_primary_term"])
                           if doc.get("found") else (0, None, None))
        return heads

    def _bulk(self, operations: list) -> list[bool]:
        """Run (action, index, id, (seq_no, term) or None, document) operations in one ``_bulk``;
        whether each one was written (False: a 409)."""
        if not operations:
            return []
        lines = []
        for action, index, doc_id, version, document in operations:
            meta = {"_index": index, "_id": doc_id}
            if action == "index":
                meta.update(if_seq_no=version[0], if_primary_term=version[1])
            lines += [json.dumps({action: meta}), json.dumps(document)]
        _, answer = self.metadata._call("POST", "/_bulk", ndjson=("\n".join(lines) + "\n").encode())
        results = [next(iter(item.values())) for item in answer.get("items", [])]
        if len(results) != len(operations) or any(r.get("status") not in (200, 201, 409) for r in results):
            raise chapter3.MetadataUnavailable(f"the metadata service refused a batch: {str(answer)[:300]}")
        return [r["status"] in (200, 201) for r in results]


class MaintenanceMetadata(LeanDocuments, chapter8.MaintenanceMetadata):
    """Chapter 8's tools' metadata client, reading final/'s records."""
    record_class = ReplicatedVersion
    mapping = MAPPING
