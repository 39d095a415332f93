"""The metadata client: object versions in Elasticsearch 8 (book §3.3, fixed per D9, D15).

Two typeless indices. ``<index>`` (``metadata``) holds one document per version, the book's record
``{name, version, size, hash}`` (keyword name and hash, integer version, long size); a tombstone
has ``hash ""`` and ``size 0``. ``<index>-heads`` holds one document per name, a copy of its newest
version, read by id, which Elasticsearch answers in real time: a GET right after a PUT sees it,
with no ``refresh=wait_for`` (1 s) on writes. Version numbers are claimed with ``_create`` (409 if
taken), so concurrent writers never share one; the head only moves forward, under optimistic
concurrency (``if_seq_no``/``if_primary_term``). Only JSON-body queries, never ``q=`` strings.
"""
import hashlib
import itertools
import logging
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Iterator

from elasticsearch import ApiError, ConflictError, Elasticsearch, TransportError

from chapter01_single.errors import ObjectNotFound, ServiceUnavailable

log = logging.getLogger(__name__)

PAGE = 1000            # versions per search page
MAX_ATTEMPTS = 100     # bounded retries under contention
TIMEOUT = 3            # seconds per Elasticsearch request: an outage is a quick 503, not a hang
MAPPING = {"properties": {"name": {"type": "keyword"}, "version": {"type": "integer"},
                          "size": {"type": "long"}, "hash": {"type": "keyword"}}}
SETTINGS = {"number_of_shards": 1, "number_of_replicas": 0}


class MetadataUnavailable(ServiceUnavailable):
    """The metadata service (Elasticsearch) is not available; try again later."""


@dataclass(frozen=True)
class Version:
    """One version of an object: the book's metadata record."""
    name: str
    version: int
    size: int
    hash: str

    @property
    def deleted(self) -> bool:
        return self.hash == ""

    @classmethod
    def from_source(cls, source: dict) -> "Version":
        """The record of an Elasticsearch document (fields it lacks take their defaults)."""
        return cls(source["name"], int(source["version"]), int(source["size"]), source["hash"])

    def book_json(self) -> dict:
        """The record with the book's capitalised keys, as ``/versions/`` prints it."""
        return {"Name": self.name, "Version": self.version, "Size": self.size, "Hash": self.hash}


class Metadata:
    """Versions of named objects, stored in Elasticsearch."""
    record_class = Version      # a later chapter's record may carry more fields
    mapping = MAPPING

    def __init__(self, server: str, index: str = "metadata", timeout: float = TIMEOUT):
        url = server if server.startswith("http") else f"http://{server}"
        self.es = Elasticsearch(url, request_timeout=timeout, max_retries=0, retry_on_timeout=False)
        self.index, self.heads = index, f"{index}-heads"
        self._ready = False

    def latest(self, name: str) -> Version | None:
        """The newest version of ``name`` (a tombstone included), read in real time."""
        with errors():
            head, _, _ = self._head(name)
            return head

    def get(self, name: str, version: int) -> Version | None:
        """Version ``version`` of ``name``, or None."""
        with errors():
            self.ensure_indices()
            return self.record(self._fetch(self.index, _version_id(name, version)))

    def add_version(self, name: str, hash: str, size: int, **fields) -> Version:
        """Record a new newest version of ``name`` (with the ``fields`` a later chapter's record has);
        concurrent callers get distinct numbers."""
        with errors():
            state = self._head(name)
            number = (state[0].version if state[0] else 0) + 1
            for _ in range(MAX_ATTEMPTS):
                record = self.record_class(name, number, size, hash, **fields)
                if not self._create_doc(self.index, _version_id(name, number), asdict(record)):
                    head = self._head(name)[0]   # another writer claimed it: go past the newest known
                    number, state = max(number + 1, head.version + 1 if head else 1), None
                    continue
                self._advance_head(record, state)
                return record
        raise MetadataUnavailable("too many concurrent writers of one name; try again")

    def delete(self, name: str) -> Version:
        """Add a tombstone; a name never stored or already deleted is ``ObjectNotFound``."""
        head = self.latest(name)
        if head is None or head.deleted:
            raise ObjectNotFound(f"object {name!r} not found")
        return self.add_version(name, "", 0)

    def versions(self, name: str = "") -> Iterator[Version]:
        """Every version of ``name`` (of every name when empty), by name then version."""
        with errors():
            self.ensure_indices()
            self.es.indices.refresh(index=self.index)   # listings see every finished write
        query = {"term": {"name": name}} if name else {"match_all": {}}
        pages = self._pages(query)
        first = list(itertools.islice(pages, PAGE))       # an outage shows as a 503, not a cut listing
        return itertools.chain(first, pages)

    def ensure_indices(self) -> None:
        """Create both indices unless they exist (idempotent, once per process)."""
        if self._ready:
            return
        for index in (self.index, self.heads):
            if not self.es.indices.exists(index=index):
                try:
                    self.es.indices.create(index=index, mappings=self.mapping, settings=SETTINGS)
                except ApiError as error:
                    if error.meta.status != 400:   # 400: created meanwhile by another thread or server
                        raise
        # an index created a moment ago (by another thread or server) may not have its shard yet:
        # a read then fails with 503 unless it waits for it here
        self.es.cluster.health(index=[self.index, self.heads], wait_for_status="green",
                               wait_for_no_initializing_shards=True, timeout="30s")
        self._ready = True

    def _pages(self, query: dict) -> Iterator[Version]:
        after = None
        while True:
            with errors():
                page = self.es.search(index=self.index, query=query, size=PAGE, search_after=after,
                                      sort=[{"name": "asc"}, {"version": "asc"}], track_total_hits=False)
            hits = page["hits"]["hits"]
            yield from (self.record(hit["_source"]) for hit in hits)
            if len(hits) < PAGE:
                return
            after = hits[-1]["sort"]

    def _head(self, name: str):
        self.ensure_indices()
        found = self._get_doc(self.heads, _name_id(name))
        if found is None:
            return None, None, None
        return self.record(found["_source"]), found["_seq_no"], found["_primary_term"]

    def _advance_head(self, record: Version, known=None) -> None:
        """Make the head ``record`` unless it already names a newer version (``known``: the head as
        it was just read, tried first; read again after a conflict)."""
        for _ in range(MAX_ATTEMPTS):
            head, seq_no, term = known or self._head(record.name)
            known = None
            if head is not None and head.version >= record.version:
                return
            if head is None:
                written = self._create_doc(self.heads, _name_id(record.name), asdict(record))
            else:
                written = self._index_doc(self.heads, _name_id(record.name), asdict(record), seq_no, term)
            if written:
                return
        raise MetadataUnavailable("too many concurrent writers of one name; try again")

    # the three document calls every read and write of a version goes through (final/ makes them leaner)

    def _get_doc(self, index: str, doc_id: str) -> dict | None:
        """The document (with ``_source``, ``_seq_no``, ``_primary_term``), or None."""
        found = self.es.options(ignore_status=404).get(index=index, id=doc_id)
        return found.body if found.get("found") else None

    def _create_doc(self, index: str, doc_id: str, document: dict) -> bool:
        """Create a document; False when one with that id exists (409)."""
        try:
            self.es.create(index=index, id=doc_id, document=document)
            return True
        except ConflictError:
            return False

    def _index_doc(self, index: str, doc_id: str, document: dict, seq_no: int, term: int) -> bool:
        """Replace a document if it is still at (``seq_no``, ``term``); False when it changed."""
        try:
            self.es.index(index=index, id=doc_id, document=document, if_seq_no=seq_no, if_primary_term=term)
            return True
        except ConflictError:
            return False

    def record(self, source: dict | None) -> Version | None:
        """The record a stored document describes (None for none)."""
        if source is None:
            return None
        return self.record_class.from_source(source)

    def _fetch(self, index: str, doc_id: str) -> dict | None:
        found = self._get_doc(index, doc_id)
        return found["_source"] if found else None


@contextmanager
def errors():
    """Elasticsearch failures become ``MetadataUnavailable`` (503)."""
    try:
        yield
    except (ApiError, TransportError) as error:
        log.warning("Elasticsearch failed: %s", str(error)[:500])
        raise MetadataUnavailable(f"the metadata service failed: {error.__class__.__name__}") from None


def _name_id(name: str) -> str:
    """A document id for any name: names may be longer than ids allow and hold any character."""
    return hashlib.sha256(name.encode()).hexdigest()


def _version_id(name: str, version: int) -> str:
    return f"{_name_id(name)}_{version}"


