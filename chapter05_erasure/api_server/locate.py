"""Locate the shards of an object (book §4.5).

Go: ``chapter5/apiServer/locate/locate.go``. Replies ``{"Addr", "Id"}`` (plus ``"Ids"`` when a
server holds several shards) are gathered into ``{shard index: address}``; the search is done when
all six are known or every live data server has answered (bounded by ``LOCATE_TIMEOUT``).
``GET /locate/<hash>`` answers that map, e.g. ``{"0": "127.0.1.4:12345", …}``.
"""
from dataclasses import dataclass

from chapter02_distributed.common.rabbitmq import parse_address
from chapter04_dedup.api_server import locate as chapter4
from chapter05_erasure.common.rs import ALL_SHARDS


@dataclass(frozen=True)
class ShardsHere:
    """A positive reply: the shard indexes one server holds."""
    address: str
    indexes: tuple[int, ...]


class Search(chapter4.Search):
    """Collects shard locations instead of one address."""

    def __init__(self, name, live_servers):
        super().__init__(name, live_servers)
        self.shards: dict[int, str] = {}

    def parse(self, value):
        if isinstance(value, dict) and "Id" in value:
            indexes = tuple(value.get("Ids") or [value["Id"]])
            if not all(isinstance(i, int) and 0 <= i < ALL_SHARDS for i in indexes):
                raise ValueError("shard index out of range")
            return ShardsHere(parse_address(value["Addr"]), indexes)
        return super().parse(value)

    def sender(self, reply) -> str:
        return reply.address if isinstance(reply, ShardsHere) else super().sender(reply)

    def add(self, reply) -> None:
        if not isinstance(reply, ShardsHere):
            return super().add(reply)
        for index in reply.indexes:
            self.shards.setdefault(index, reply.address)
        super().add(chapter4.NotHere(reply.address))      # counts as an answer from that server
        if len(self.shards) == ALL_SHARDS:
            self.done.set()

    def result(self) -> dict[int, str]:
        return dict(sorted(self.shards.items()))


class Locator(chapter4.Locator):
    search_class = Search
