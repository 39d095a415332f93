"""Locate that ends when every live data server has answered (book §4.4, fixed per D10).

The book waited out the whole 1-s window for every new object. Chapter 4 data servers also answer
"not here" (``{"Addr": …, "Found": false}``), so a search is done at the first positive reply or
once every data server that was live when it started has answered; ``LOCATE_TIMEOUT`` still
bounds it (a server may die mid-search).
"""
from dataclasses import dataclass

from chapter02_distributed.api_server import locate as chapter2
from chapter02_distributed.common.rabbitmq import parse_address


@dataclass(frozen=True)
class NotHere:
    """A negative locate reply."""
    address: str


class Search(chapter2.Search):
    """Chapter 2's search, plus early completion on a full set of negative replies."""

    def __init__(self, name, live_servers):
        super().__init__(name, live_servers)
        self.answered: set[str] = set()

    def parse(self, value):
        if isinstance(value, dict) and value.get("Found") is False:
            return NotHere(parse_address(value.get("Addr")))
        return super().parse(value)

    def sender(self, reply) -> str:
        return reply.address if isinstance(reply, NotHere) else super().sender(reply)

    def add(self, reply) -> None:
        if not isinstance(reply, NotHere):
            return super().add(reply)
        self.answered.add(reply.address)
        if self.answered.issuperset(self.live_servers):
            self.done.set()


class Locator(chapter2.Locator):
    search_class = Search
