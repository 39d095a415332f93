"""Maintenance queries on the metadata (book §3.3, fixed per D2, D9, D20).

``names_with_more_than``: every name with more than N version documents, from a composite
aggregation paged with ``after_key`` (the book's terms aggregation stopped at 10 names).
``references``: how many versions point at a hash, by an exact ``term`` count on the keyword
field, after a refresh; any error raises (the book read an error, a parse failure of a ``/`` in
the hash, or Elasticsearch 7's ``hits.total`` object as "unreferenced" and deleted live data).
"""
from typing import Iterator

from elasticsearch import NotFoundError

from chapter03_metadata.common import es as chapter3
from chapter07_gzip.common import es as chapter7

PAGE = 1000


class IndexMissing(ValueError):
    """The tools' index does not exist or holds no version: they refuse to run on it."""


class MaintenanceMetadata(chapter7.Metadata):
    """Chapter 7's metadata client plus the queries of chapter 8's tools. It never creates an index:
    a tool pointed at a wrong or empty one (a mistyped ``ES_INDEX``) would otherwise find nothing
    referenced and take every shard for an orphan (issue 18)."""

    def ensure_indices(self) -> None:
        """Check that both indices exist (once per process); ``IndexMissing`` when one does not."""
        if self._ready:
            return
        with chapter3.errors():
            missing = [index for index in (self.index, self.heads) if not self.es.indices.exists(index=index)]
        if missing:
            raise IndexMissing(f"the metadata index {missing[0]!r} does not exist (ES_INDEX={self.index!r}?): "
                               f"nothing done")
        self._ready = True

    def require_versions(self) -> int:
        """The number of version documents; ``IndexMissing`` when there are none."""
        self.ensure_indices()
        with chapter3.errors():
            self.es.indices.refresh(index=self.index)
            count = int(self.es.count(index=self.index)["count"])
        if count == 0:
            raise IndexMissing(f"the metadata index {self.index!r} holds no version (ES_INDEX?): nothing done")
        return count

    def referring(self) -> dict:
        """Where the versions that refer to content are, as search arguments (a later increment
        adds indices of its own)."""
        return {"index": self.index}

    def hashes(self) -> Iterator[str]:
        """Every content hash some version names (tombstones' empty hash left out)."""
        return (value for value, _ in self._counts("hash", self.referring()) if value)

    def names_with_more_than(self, count: int) -> Iterator[tuple[str, int]]:
        """(name, number of version documents) for every name with more than ``count``."""
        with chapter3.errors():
            self.ensure_indices()
            self.es.indices.refresh(index=self.index)
        return ((name, docs) for name, docs in self._counts("name") if docs > count)

    def _counts(self, field: str, where: dict | None = None) -> Iterator[tuple[str, int]]:
        """(value, documents) for every value of ``field``: a composite aggregation, paged."""
        after = None
        while True:
            with chapter3.errors():
                page = self.es.search(**(where or {"index": self.index}), size=0, aggs={"values": {"composite": {
                    "size": PAGE, "sources": [{"value": {"terms": {"field": field}}}],
                    **({"after": after} if after else {})}}})
            found = page["aggregations"]["values"]
            yield from ((bucket["key"]["value"], bucket["doc_count"]) for bucket in found["buckets"])
            after = found.get("after_key")
            if not found["buckets"] or after is None:
                return

    def delete_version(self, record: chapter3.Version) -> bool:
        """Remove one version document; False if it was already gone."""
        with chapter3.errors():
            try:
                self.es.delete(index=self.index, id=chapter3._version_id(record.name, record.version))
                return True
            except NotFoundError:
                return False

    def references(self, hash: str) -> int:
        """How many version documents name ``hash`` (exact match, fresh, errors raise)."""
        with chapter3.errors():
            self.ensure_indices()
            self.es.indices.refresh(**self.referring())
            return int(self.es.count(**self.referring(), query={"term": {"hash": hash}})["count"])

    def record_of(self, hash: str) -> chapter7.PackedVersion | None:
        """A version whose content is ``hash`` (its size and stored form), or None when none is."""
        with chapter3.errors():
            self.ensure_indices()
            hits = self.es.search(**self.referring(), size=1, query={"term": {"hash": hash}},
                                  sort=[{"packed": {"order": "desc", "missing": "_last", "unmapped_type": "long"}}])["hits"]["hits"]
        return self.record(hits[0]["_source"]) if hits else None
