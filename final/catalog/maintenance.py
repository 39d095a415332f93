"""The tools' view of the catalog: content is referenced by a version of a book name or of an S3 key.

``delete_orphan_object`` and ``object_scanner`` count and find references in both version indices
(``<ES_INDEX>`` and ``<ES_INDEX>-s3``; the second may not exist yet), so an object stored only
through S3 is never taken for an orphan; and the parts of multipart uploads, unfinished
(``<ES_INDEX>-parts``) or completed (a version's ``parts``). ``keys`` is the tools' client of the S3 keys' own index.
"""
from chapter03_metadata.common import es as chapter3
from chapter03_metadata.common.es import TIMEOUT
from chapter08_maintenance.common.es import IndexMissing
from final.catalog.keys import MULTIPART
from final.containers import metadata as containers



def _naming(hash: str) -> dict:
    return {"bool": {"should": [{"term": {"hash": hash}}, {"term": {"parts": hash}}], "minimum_should_match": 1}}


class MaintenanceMetadata(containers.MaintenanceMetadata):
    """final/'s tools' metadata client, aware of S3 keys."""

    def __init__(self, server: str, index: str = "metadata", timeout: float = TIMEOUT):
        super().__init__(server, index, timeout)
        self.server, self.timeout = server, timeout

    @property
    def keys_index(self) -> str:
        return f"{self.index}-s3"

    def referring(self) -> dict:
        return {"index": f"{self.index},{self.keys_index},{self.index}-parts", "ignore_unavailable": True}

    def references(self, hash: str) -> int:
        """Versions naming ``hash`` as their content or as a part, and parts of unfinished uploads."""
        with chapter3.errors():
            self.ensure_indices()
            self.es.indices.refresh(**self.referring())
            return int(self.es.count(**self.referring(), query=_naming(hash))["count"])

    def record_of(self, hash: str):
        """A version, or a part, whose content is ``hash``: its size and stored form."""
        with chapter3.errors():
            self.ensure_indices()
            hits = self.es.search(**self.referring(), size=1, query=_naming(hash),
                                  sort=[{"packed": {"order": "desc", "missing": "_last", "unmapped_type": "long"}}])["hits"]["hits"]
        if not hits:
            return None
        source = hits[0]["_source"]
        if source.get("hash") != hash:          # a multipart object's part: its own size and form
            part = next(p for p in (source.get("info") or {}).get("parts", []) if p["hash"] == hash)
            source = {**source, "hash": hash, "size": part["size"], "packed": part.get("packed"),
                      "replicas": part.get("replicas") or []}
        return self.record(source)

    def hashes(self):
        """Every content hash a version names (as its content or a part) or an unfinished upload's part."""
        seen = set()
        for field in ("hash", "parts"):
            for value, _ in self._counts(field, self.referring()):
                if value and not value.startswith(MULTIPART) and value not in seen:
                    seen.add(value)
                    yield value

    def ensure_indices(self) -> None:
        """Chapter 8's check, passed also by a store used only through S3 (no book name yet)."""
        if self._ready:
            return
        try:
            super().ensure_indices()
        except IndexMissing:
            if self.keys() is None:
                raise
            self._ready = True

    def require_versions(self) -> int:
        """Versions of book names and of S3 keys together; ``IndexMissing`` when there are none."""
        self.ensure_indices()
        with chapter3.errors():
            self.es.indices.refresh(**self.referring())
            count = int(self.es.count(**self.referring())["count"])
        if count == 0:
            raise IndexMissing(f"the metadata index {self.index!r} holds no version, nor does {self.keys_index!r} "
                               f"(ES_INDEX?): nothing done")
        return count

    def has_book_names(self) -> bool:
        """Whether the book's API ever stored a name (its index exists)."""
        with chapter3.errors():
            return bool(self.es.indices.exists(index=self.index))

    def keys(self) -> "containers.MaintenanceMetadata | None":
        """The S3 keys' versions (None before the first S3 object)."""
        keys = containers.MaintenanceMetadata(self.server, self.keys_index, self.timeout)
        try:
            keys.ensure_indices()
        except ValueError:                   # IndexMissing: no S3 key was ever written
            return None
        return keys
