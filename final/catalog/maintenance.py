"""The tools' view of the catalog: content is referenced by a version of a book name or of an S3 key.

``delete_orphan_object`` and ``object_scanner`` count and find references in both version indices
(``<ES_INDEX>`` and ``<ES_INDEX>-s3``; the second may not exist yet), so an object stored only
through S3 is never taken for an orphan. ``keys`` is the tools' client of the S3 keys' own index.
"""
from chapter03_metadata.common import es as chapter3
from chapter03_metadata.common.es import TIMEOUT
from chapter08_maintenance.common.es import IndexMissing
from final.containers import metadata as containers


class MaintenanceMetadata(containers.MaintenanceMetadata):
    """final/'s tools' metadata client, aware of S3 keys."""

    def __init__(self, server: str, index: str = "metadata", timeout: float = TIMEOUT):
        super().__init__(server, index, timeout)
        self.server, self.timeout = server, timeout

    @property
    def keys_index(self) -> str:
        return f"{self.index}-s3"

    def referring(self) -> dict:
        return {"index": f"{self.index},{self.keys_index}", "ignore_unavailable": True}

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
