"""Multipart uploads in Elasticsearch: an upload document each, and a part document per part.

``<ES_INDEX>-uploads`` holds one document per upload (id: the upload id): its bucket and key, who
started it, what the object will keep (headers, ``x-amz-meta-*``, ACL) and its state: ``open``,
then ``completed`` (with the list of parts it was completed with, and the ETag) or ``aborted``.
States change by compare-and-set on the document's sequence number, so two Completes, or a
Complete and an Abort, cannot both win.

``<ES_INDEX>-parts`` holds one document per part (id: ``<upload id>.<part number>``; sending a
part number again replaces it) in the shape of a version (``name``, ``version``, ``size``,
``hash``, ``packed``, ``replicas``), so the tools count a part of an unfinished upload as a
reference to its content, and can repair it. A completed upload's part documents are dropped once
the object's version lists the parts (the version refers to them then); an aborted upload's are
dropped at once, and nothing then refers to their content: the orphan collector takes it.
"""
import re
import secrets
import time
from dataclasses import asdict, dataclass, field

from elasticsearch import ConflictError, Elasticsearch

from chapter03_metadata.common.es import SETTINGS, TIMEOUT, errors
from final.containers import metadata as containers

ID = re.compile(r"[0-9a-f]{32}\Z")
MAX_PART = 10000
PAGE = 1000
UPLOADS_MAPPING = {"properties": {"upload_id": {"type": "keyword"}, "bucket": {"type": "keyword"},
                                  "key": {"type": "keyword"}, "initiated": {"type": "double"},
                                  "state": {"type": "keyword"}, "owner": {"type": "keyword"},
                                  "initiator": {"type": "keyword"}, "etag": {"type": "keyword"},
                                  "written": {"type": "long"}, "finished": {"type": "double"},
                                  "dropped": {"type": "boolean"},
                                  "info": {"type": "object", "enabled": False},
                                  "parts": {"type": "object", "enabled": False}}}
PARTS_MAPPING = {"properties": {**containers.MAPPING["properties"], "upload": {"type": "keyword"},
                                "etag": {"type": "keyword"}, "modified": {"type": "double"},
                                "checksums": {"type": "object", "enabled": False}}}


@dataclass
class Upload:
    upload_id: str
    bucket: str
    key: str
    owner: str                       # the bucket's owner when it started (the object's owner to be)
    initiator: str
    initiated: float
    info: dict = field(default_factory=dict)      # headers, meta, acl, owner of the object to be
    state: str = "open"
    parts: list = field(default_factory=list)     # completed: [{number, hash, size, packed, replicas, etag}]
    etag: str = ""
    written: int = 0                 # the version the completed object got (0: not yet)
    finished: float = 0.0
    dropped: bool = False            # its part documents are gone (the tools need not look again)
    seq: tuple = field(default=(0, 0), compare=False)   # (seq_no, primary_term) it was read at


@dataclass(frozen=True)
class Part:
    number: int
    hash: str
    size: int
    etag: str
    modified: float
    packed: int | None = 0
    replicas: tuple = ()
    checksums: dict = field(default_factory=dict, hash=False, compare=False)

    def manifest(self) -> dict:
        """What a completed object's version keeps of this part."""
        return {"number": self.number, "hash": self.hash, "size": self.size, "packed": self.packed,
                "replicas": list(self.replicas), "etag": self.etag}

    @classmethod
    def from_source(cls, source: dict) -> "Part":
        return cls(int(source["version"]), source["hash"], int(source["size"]), source.get("etag", ""),
                   float(source.get("modified") or 0.0), source.get("packed"),
                   tuple(source.get("replicas") or ()), source.get("checksums") or {})


def valid_id(upload_id: str | None) -> bool:
    return bool(upload_id) and bool(ID.match(upload_id))


class Uploads:
    """The multipart uploads of the store."""

    def __init__(self, server: str, index: str, timeout: float = TIMEOUT):
        url = server if server.startswith("http") else f"http://{server}"
        self.es = Elasticsearch(url, request_timeout=timeout, max_retries=0, retry_on_timeout=False)
        self.uploads, self.parts_index = f"{index}-uploads", f"{index}-parts"
        self._ready = False

    # ------------------------------------------------------------------ uploads

    def create(self, bucket: str, key: str, owner: str, initiator: str, info: dict) -> Upload:
        upload = Upload(secrets.token_hex(16), bucket, key, owner, initiator, time.time(), info)
        with errors():
            self._ensure()
            self.es.create(index=self.uploads, id=upload.upload_id, document=_document(upload))
        return upload

    def get(self, upload_id: str) -> Upload | None:
        if not valid_id(upload_id):
            return None
        with errors():
            self._ensure()
            found = self.es.options(ignore_status=404).get(index=self.uploads, id=upload_id)
        if not found.get("found"):
            return None
        return Upload(**found["_source"], seq=(found["_seq_no"], found["_primary_term"]))

    def change(self, upload: Upload, **changes) -> Upload | None:
        """The upload with ``changes``, written only if nobody changed it since it was read (else None)."""
        changed = Upload(**{**asdict(upload), **changes})
        with errors():
            try:
                answer = self.es.index(index=self.uploads, id=upload.upload_id, document=_document(changed),
                                       if_seq_no=upload.seq[0], if_primary_term=upload.seq[1])
            except ConflictError:
                return None
        changed.seq = (answer["_seq_no"], answer["_primary_term"])
        return changed

    def listing(self, bucket: str, prefix: str = "", key_marker: str = "", id_marker: str = "",
                limit: int = PAGE) -> tuple[list[Upload], bool]:
        """Open uploads of ``bucket`` under ``prefix`` in (key, upload id) order, after the markers;
        and whether there are more."""
        query = {"bool": {"filter": [{"term": {"bucket": bucket}}, {"term": {"state": "open"}},
                                     {"prefix": {"key": prefix}}]}}
        after = [key_marker, id_marker] if key_marker else None
        with errors():
            self._ensure()
            self.es.indices.refresh(index=self.uploads)
            hits = self.es.search(index=self.uploads, query=query, size=limit + 1, search_after=after,
                                  sort=[{"key": "asc"}, {"upload_id": "asc"}], track_total_hits=False,
                                  seq_no_primary_term=True)["hits"]["hits"]
        found = [Upload(**hit["_source"], seq=(hit["_seq_no"], hit["_primary_term"])) for hit in hits]
        return found[:limit], len(found) > limit

    def older_than(self, seconds: float, states=("open",)) -> list[Upload]:
        """Uploads in ``states`` started more than ``seconds`` ago (for the tools)."""
        query = {"bool": {"filter": [{"terms": {"state": list(states)}},
                                     {"range": {"initiated": {"lt": time.time() - seconds}}}]}}
        return self._all(query)

    def finished(self) -> list[Upload]:
        """Completed and aborted uploads whose part documents may still be there (after a crash)."""
        return self._all({"bool": {"filter": [{"terms": {"state": ["completed", "aborted"]}}],
                                   "must_not": [{"term": {"dropped": True}}]}})

    def abort_all(self, bucket: str) -> int:
        """Abort every open upload of ``bucket`` (it is being deleted); how many there were."""
        aborted = 0
        while True:
            found, _ = self.listing(bucket)
            for upload in found:
                if self.change(upload, state="aborted", finished=time.time()) is not None:
                    self.drop_parts(upload.upload_id)
                    aborted += 1
            if not found:
                return aborted

    def forget(self, upload: Upload) -> None:
        with errors():
            self.es.options(ignore_status=404).delete(index=self.uploads, id=upload.upload_id)

    def _all(self, query: dict) -> list[Upload]:
        found, after = [], None
        with errors():
            if not self.es.indices.exists(index=self.uploads):
                return []
            self.es.indices.refresh(index=self.uploads)
            while True:
                hits = self.es.search(index=self.uploads, query=query, size=PAGE, search_after=after,
                                      sort=[{"upload_id": "asc"}], track_total_hits=False,
                                      seq_no_primary_term=True)["hits"]["hits"]
                found += [Upload(**hit["_source"], seq=(hit["_seq_no"], hit["_primary_term"])) for hit in hits]
                if len(hits) < PAGE:
                    return found
                after = hits[-1]["sort"]

    # ------------------------------------------------------------------ parts

    def put_part(self, upload: Upload, number: int, hash: str, size: int, etag: str, checksums: dict,
                 packed: int | None = 0, replicas=()) -> Part:
        part = Part(number, hash, size, etag, time.time(), packed, tuple(replicas), checksums)
        document = {"name": f"{upload.upload_id}/{number}", "version": number, "hash": hash, "size": size,
                    "packed": packed, "replicas": list(replicas), "upload": upload.upload_id, "etag": etag,
                    "modified": part.modified, "checksums": checksums}
        with errors():
            self.es.index(index=self.parts_index, id=f"{upload.upload_id}.{number}", document=document)
        return part

    def parts_of(self, upload_id: str, numbers) -> dict[int, Part]:
        """The parts ``numbers`` of an upload as they are now (read in real time), by number."""
        numbers = sorted(set(numbers))
        if not numbers:
            return {}
        with errors():
            self._ensure()
            docs = self.es.mget(index=self.parts_index, ids=[f"{upload_id}.{n}" for n in numbers])["docs"]
        return {part.number: part for part in (Part.from_source(doc["_source"]) for doc in docs if doc.get("found"))}

    def part_listing(self, upload_id: str, after: int = 0, limit: int = PAGE) -> tuple[list[Part], bool]:
        """Parts numbered above ``after``, in order; and whether there are more."""
        query = {"bool": {"filter": [{"term": {"upload": upload_id}}, {"range": {"version": {"gt": after}}}]}}
        with errors():
            self._ensure()
            self.es.indices.refresh(index=self.parts_index)
            hits = self.es.search(index=self.parts_index, query=query, size=limit + 1, sort=[{"version": "asc"}],
                                  track_total_hits=False)["hits"]["hits"]
        found = [Part.from_source(hit["_source"]) for hit in hits]
        return found[:limit], len(found) > limit

    def drop_part(self, upload_id: str, number: int) -> None:
        with errors():
            self.es.options(ignore_status=404).delete(index=self.parts_index, id=f"{upload_id}.{number}", refresh=True)

    def drop_parts(self, upload_id: str) -> int:
        """Forget every part document of an upload; how many there were."""
        with errors():                   # (no _delete_by_query: the minimal distribution has no reindex module)
            self.es.indices.refresh(index=self.parts_index)
            hits = self.es.search(index=self.parts_index, query={"term": {"upload": upload_id}}, size=MAX_PART,
                                  source=False, track_total_hits=False)["hits"]["hits"]
            if hits:
                self.es.bulk(operations=[{"delete": {"_index": self.parts_index, "_id": hit["_id"]}} for hit in hits],
                             refresh=True)
        return len(hits)

    def _ensure(self) -> None:
        if self._ready:
            return
        for index, mapping in ((self.uploads, UPLOADS_MAPPING), (self.parts_index, PARTS_MAPPING)):
            if not self.es.indices.exists(index=index):
                try:
                    self.es.indices.create(index=index, mappings=mapping, settings=SETTINGS)
                except Exception:           # created meanwhile by another api server
                    pass
        self.es.cluster.health(index=[self.uploads, self.parts_index], wait_for_status="green",
                               wait_for_no_initializing_shards=True, timeout="30s")
        self._ready = True


def _document(upload: Upload) -> dict:
    document = asdict(upload)
    del document["seq"]
    return document
