"""The object pipeline that pins the content it reuses (chapter 8, issue 18).

A PUT of content that is stored already adds a version and keeps no copy of its own: if
``delete_orphan_object`` took those shards for orphans meanwhile (they are, until the version is
written, and they are old), the PUT answered 200 for an object whose shards were in garbage. So
``has_content`` pins the shards on the data servers that hold them (``PATCH /objects/<key>``: their
time is now, and no DELETE moves them for a while), and ``reuse`` pins them again, every minute of
a long body and once more when the body is read, before the version is added.
"""
import time
from typing import Iterable, Iterator

from chapter01_single.errors import ServiceUnavailable
from chapter02_distributed.common.objectstream import DataServerError, HopPool, request, url
from chapter03_metadata.common import digest
from chapter05_erasure.common import rs
from chapter07_gzip.api_server import store as chapter7

REPIN = 60.0             # seconds between pins while a long body is read (a pin holds 300 s)

_pins = HopPool(max_workers=6, thread_name_prefix="pin")


class ContentGone(ServiceUnavailable):
    """The stored content this PUT relied on went away meanwhile; try again."""


class Objects(chapter7.Objects):
    """Chapter 7's objects; reused content is pinned until its version is written."""

    def has_content(self, hash: str) -> bool:
        return super().has_content(hash) and self.pin(hash)

    def reuse(self, claimed: str, chunks: Iterable[bytes]) -> dict:
        fields = super().reuse(claimed, self._repinning(claimed, chunks))
        if not self.pin(claimed):
            raise ContentGone(f"the stored content of {claimed} went away; try again")
        return fields

    def pin(self, hash: str) -> bool:
        """Pin the shards of ``hash`` wherever they are; whether four of one form are pinned."""
        key = digest.key(hash)
        located = self.locator.locate(key)
        servers = set(located.values()) | set(getattr(located, "packed", {}).values())
        pinned = {_shard(key, name) for names in _pins.map(lambda server: _pin(server, key), servers)
                  for name in names}
        return max(sum(packed == form for packed, _ in pinned) for form in (False, True)) >= rs.DATA_SHARDS

    def _repinning(self, claimed: str, chunks: Iterable[bytes]) -> Iterator[bytes]:
        last = time.monotonic()
        for chunk in chunks:
            if time.monotonic() - last > REPIN:
                self.pin(claimed)
                last = time.monotonic()
            yield chunk


def _pin(server: str, key: str) -> list[str]:
    """The shard files of ``key`` that ``server`` pinned (none when it failed or holds none)."""
    try:
        response = request("PATCH", url(server, "objects", key))
    except DataServerError:
        return []
    try:
        names = response.json().get("pinned", []) if response.status_code == 200 else []
        return [name for name in names if isinstance(name, str) and name.startswith(key + ".")]
    except (ValueError, AttributeError):
        return []
    finally:
        response.close()


def _shard(key: str, name: str) -> tuple[bool, str]:
    """(packed?, shard index) of a shard file ``<key>[.p].<i>.<shard key>[.gz]``."""
    parts = name[len(key) + 1:].split(".")
    return (True, parts[1]) if parts[0] == "p" else (False, parts[0])
