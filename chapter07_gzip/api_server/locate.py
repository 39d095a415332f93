"""Locate both forms of an object's shards (chapter 7; book §4.5's locate, extended).

Chapter 5's ``Search`` collects ``{shard index: address}`` of the plain shards (``<key>.<i>``);
replies that also list ``"Packed"`` indexes (``<key>.p.<i>``, ``common/forms.py``) fill a second
map, so a read takes all its shards from one form. The result is a ``Located``: the plain map,
with the packed one beside it.
"""
from dataclasses import dataclass

from chapter04_dedup.api_server.locate import NotHere
from chapter05_erasure.api_server import locate as chapter5
from chapter05_erasure.common.rs import ALL_SHARDS


class Located(dict):
    """Plain shard index → address, and ``packed``: the same for the packed form."""

    def __init__(self, plain: dict, packed: dict):
        super().__init__(plain)
        self.packed = packed


@dataclass(frozen=True)
class PackedHere:
    """A reply that lists packed shards, and what it says of the plain ones."""
    plain: object
    indexes: tuple[int, ...]


class Search(chapter5.Search):
    """Chapter 5's search, keeping the packed shards apart."""

    def __init__(self, name, live_servers):
        super().__init__(name, live_servers)
        self.packed: dict[int, str] = {}

    def parse(self, value):
        if not (isinstance(value, dict) and "Packed" in value):
            return super().parse(value)
        indexes = tuple(value["Packed"]) if isinstance(value["Packed"], list) else ()
        if not indexes or not all(isinstance(i, int) and 0 <= i < ALL_SHARDS for i in indexes):
            raise ValueError("packed shard indexes out of range")
        rest = {k: v for k, v in value.items() if k != "Packed"}
        plain = super().parse(rest if "Id" in rest else {**rest, "Found": False})
        return PackedHere(plain, indexes)

    def sender(self, reply) -> str:
        return super().sender(reply.plain if isinstance(reply, PackedHere) else reply)

    def add(self, reply) -> None:
        if not isinstance(reply, PackedHere):
            return super().add(reply)
        for index in reply.indexes:
            self.packed.setdefault(index, self.sender(reply))
        super().add(reply.plain if not isinstance(reply.plain, NotHere) else NotHere(self.sender(reply)))
        if len(self.packed) == ALL_SHARDS:
            self.done.set()

    def result(self) -> Located:
        return Located(super().result(), dict(sorted(self.packed.items())))


class Locator(chapter5.Locator):
    search_class = Search
