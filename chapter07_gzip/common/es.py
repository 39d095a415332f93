"""Versions that say how their content is stored (chapter 7, beyond the book).

A chapter 7 PUT stores compressible content packed (``common/packed.py``); the version records the
packed stream's length in ``packed`` (0: stored plain), so a GET knows the form without asking the
shards. A version written before chapter 7, or one that reused content stored by another upload,
has ``packed = None`` (not known): the GET then tells the form from the shards' lengths.
"""
from dataclasses import dataclass

from chapter03_metadata.common import es as chapter3

MAPPING = {"properties": {**chapter3.MAPPING["properties"], "packed": {"type": "long"}}}


@dataclass(frozen=True)
class PackedVersion(chapter3.Version):
    """The book's record plus ``packed``: the packed stream's length, 0 for plain, None unknown."""
    packed: int | None = None

    @classmethod
    def from_source(cls, source: dict) -> "PackedVersion":
        record = super().from_source(source)
        packed = source.get("packed")
        return cls(record.name, record.version, record.size, record.hash, None if packed is None else int(packed))


class Metadata(chapter3.Metadata):
    """Chapter 3's metadata client with chapter 7's records."""
    record_class = PackedVersion
    mapping = MAPPING
