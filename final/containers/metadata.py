"""Versions that say where a small object's replicas are (final/).

A small object (at most ``SMALL_OBJECT_LIMIT`` bytes) is kept whole, as three replicas in the
containers of three data servers; its version records their addresses in ``replicas``, so a GET
asks one of them straight away, with no locate. Chapter 7's record otherwise (a big object's
``replicas`` is empty).
"""
from dataclasses import dataclass

from chapter07_gzip.common import es as chapter7
from chapter08_maintenance.common import es as chapter8

MAPPING = {"properties": {**chapter7.MAPPING["properties"], "replicas": {"type": "keyword"}}}


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


class Metadata(chapter7.Metadata):
    """Chapter 7's metadata client with final/'s records."""
    record_class = ReplicatedVersion
    mapping = MAPPING


class MaintenanceMetadata(chapter8.MaintenanceMetadata):
    """Chapter 8's tools' metadata client, reading final/'s records."""
    record_class = ReplicatedVersion
    mapping = MAPPING
