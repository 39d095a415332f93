"""S3 keys in Elasticsearch: chapter 3's versions and heads, one namespace per store (final/).

An S3 object is a version of the name ``<bucket>/<key>`` in ``<ES_INDEX>-s3`` (apart from the book
API's names, which no ACL guards), with final/'s record plus what S3 keeps of an object:
``modified`` (its time; a tombstone's too, since issue 23: when its predecessor stopped being current) and ``info`` (ETag, content type, user metadata, stored headers, checksums,
owner, ACL; not indexed). A DELETE writes chapter 3's tombstone. Listing reads the heads in UTF-8
binary order of their names (keyword order), after a refresh, so a key whose PUT or DELETE returned
is listed, or not, by the very next request on either api server.
"""
import time
from dataclasses import asdict, dataclass, field
from typing import Iterator

from chapter03_metadata.common import es as chapter3
from final.containers import metadata as containers

MAPPING = {"properties": {**containers.MAPPING["properties"], "modified": {"type": "double"},
                          "parts": {"type": "keyword"}, "info": {"type": "object", "enabled": False}}}
PAGE = 1000
MULTIPART = "parts:"                 # + upload id: the hash of a multipart object's version (s3/manifest.py)
LISTED = ["name", "version", "size", "hash", "modified", "info.etag", "info.owner"]   # what a listing shows
LAST = "\U0010ffff"          # sorts after every character: skips a whole common prefix


@dataclass(frozen=True)
class S3Version(containers.ReplicatedVersion):
    """final/'s record plus S3's: when it was written, and its ETag, headers and ACL (``info``)."""
    modified: float = 0.0
    info: dict = field(default_factory=dict, hash=False, compare=False)
    parts: tuple = ()                    # a multipart object's parts' content hashes (s3/manifest.py)

    @classmethod
    def from_source(cls, source: dict) -> "S3Version":
        base = containers.ReplicatedVersion.from_source(source)
        return cls(base.name, base.version, base.size, base.hash, base.packed, base.replicas,
                   float(source.get("modified") or 0.0), source.get("info") or {}, tuple(source.get("parts") or ()))


@dataclass
class Listing:
    """One page of a listing: keys (their heads), common prefixes, and where the next page starts."""
    keys: list = field(default_factory=list)
    prefixes: list = field(default_factory=list)
    truncated: bool = False
    last: str = ""                       # the last key or common prefix listed


class Keys(containers.Metadata):
    """The versions of every S3 key of the store."""
    record_class = S3Version
    mapping = MAPPING

    def __init__(self, server: str, index: str):
        super().__init__(server, f"{index}-s3")

    def ensure_indices(self) -> None:
        """Chapter 3's indices; an index made before multipart uploads learns the ``parts`` field."""
        if self._ready:
            return
        super().ensure_indices()
        with chapter3.errors():
            self.es.indices.put_mapping(index=[self.index, self.heads], properties={"parts": MAPPING["properties"]["parts"]})

    def put(self, bucket: str, key: str, hash: str, size: int, info: dict, **fields) -> S3Version:
        return self.add_version(f"{bucket}/{key}", hash, size, info=info, **fields)

    def head(self, bucket: str, key: str) -> S3Version | None:
        """The key's newest version, None when it has none or was deleted."""
        record = self.latest(f"{bucket}/{key}")
        return None if record is None or record.deleted else record

    def with_hash(self, bucket: str, key: str, hash: str) -> S3Version | None:
        """A version of ``key`` whose content is ``hash`` (a multipart upload's, written already?)."""
        with chapter3.errors():
            self.ensure_indices()
            self.es.indices.refresh(index=self.index)
            hits = self.es.search(index=self.index, size=1, query={"bool": {"filter": [
                {"term": {"name": f"{bucket}/{key}"}}, {"term": {"hash": hash}}]}})["hits"]["hits"]
        return self.record(hits[0]["_source"]) if hits else None

    def add_version(self, name: str, hash: str, size: int, **fields) -> S3Version:
        """Chapter 3's, and every version records when it was written (a tombstone too: when its
        predecessor stopped being current, which lifecycle rules count from)."""
        return super().add_version(name, hash, size, **{"modified": time.time(), **fields})

    def remove(self, bucket: str, key: str) -> S3Version | None:
        """Delete ``key``: its tombstone, None when there was nothing to delete."""
        try:
            return self.delete(f"{bucket}/{key}")
        except chapter3.ObjectNotFound:
            return None

    def expire(self, record: S3Version) -> S3Version | None:
        """A tombstone after ``record`` only while ``record`` is the newest version (a lifecycle
        rule judged it): None when a newer version, or another worker's tombstone, came first."""
        tombstone = self.record_class(record.name, record.version + 1, 0, "", modified=time.time())
        with chapter3.errors():
            if not self._create_doc(self.index, chapter3._version_id(record.name, tombstone.version),
                                    asdict(tombstone)):
                return None
            self._advance_head(tombstone)
        return tombstone

    def all_versions(self, bucket: str, prefix: str = "") -> Iterator[S3Version]:
        """Every version of every key of ``bucket`` under ``prefix``, by key then version."""
        with chapter3.errors():
            self.ensure_indices()
            self.es.indices.refresh(index=self.index)
        return self._pages({"prefix": {"name": f"{bucket}/{prefix}"}})

    def drop_version(self, record: S3Version) -> bool:
        """Remove one version for good (never the newest: the caller makes sure); False if gone."""
        with chapter3.errors():
            return self._call("DELETE", f"/{self.index}/_doc/{chapter3._version_id(record.name, record.version)}")[0] == 200

    def listing(self, bucket: str, prefix: str = "", after: str = "", delimiter: str = "",
                limit: int = PAGE) -> Listing:
        """Up to ``limit`` keys and common prefixes of ``bucket`` under ``prefix``, after ``after``."""
        if limit <= 0:
            return Listing()
        page, start = Listing(), f"{bucket}/{after}" if after else None
        if after and delimiter and after.startswith(prefix) \
                and after.find(delimiter, len(prefix)) == len(after) - len(delimiter):
            start += LAST                   # after a common prefix (a NextMarker): past all its keys
        with chapter3.errors():
            self.ensure_indices()
            self.es.indices.refresh(index=self.heads)
        while True:                          # one search of limit + 1 heads, one more per rolled-up prefix
            want = min(limit - len(page.keys) - len(page.prefixes) + 1, PAGE + 1)
            hits = self._heads_after(bucket, prefix, start, want)
            for hit in hits:
                if len(page.keys) + len(page.prefixes) == limit:
                    page.truncated = True
                    return page
                start = hit["_source"]["name"]
                key = start[len(bucket) + 1:]
                cut = key.find(delimiter, len(prefix)) if delimiter else -1
                if cut < 0:
                    page.keys.append(self.record(hit["_source"]))
                    page.last = key
                    continue
                page.prefixes.append(key[:cut + len(delimiter)])
                page.last = page.prefixes[-1]
                start = f"{bucket}/{page.last}{LAST}"
                break
            else:
                if len(hits) < want:
                    return page

    def empty(self, bucket: str) -> bool:
        page = self.listing(bucket, limit=1)
        return not page.keys and not page.prefixes

    def _heads_after(self, bucket: str, prefix: str, start: str | None, size: int) -> list:
        query = {"bool": {"filter": [{"prefix": {"name": f"{bucket}/{prefix}"}}],
                          "must_not": [{"term": {"hash": ""}}]}}
        with chapter3.errors():
            answer = self.es.search(index=self.heads, query=query, size=size, sort=[{"name": "asc"}],
                                    search_after=[start] if start else None, track_total_hits=False,
                                    source=LISTED)
        return answer["hits"]["hits"]
