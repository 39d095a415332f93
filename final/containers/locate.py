"""Locate that also finds small objects' replicas (final/).

A data server that keeps an object whole in a container adds ``"Replica": true`` to its reply;
``Search`` gathers those servers beside chapter 7's plain and packed shard maps (it ends when every
live server has answered: small objects' replicas are wanted all, by the scanner).
"""
from dataclasses import dataclass

from chapter03_metadata.api_server import locate as chapter3
from chapter07_gzip.api_server import locate as chapter7


class Located(chapter7.Located):
    """Chapter 7's shard maps, and ``replicas``: the servers that keep the object whole. True when
    anything was found (the plain map may be empty)."""

    def __init__(self, plain: dict, packed: dict, replicas: list):
        super().__init__(plain, packed)
        self.replicas = replicas

    def __bool__(self) -> bool:
        return bool(len(self) or self.packed or self.replicas)

    def shown(self) -> dict:
        """As ``GET /locate/<hash>`` answers it: the plain shards, then ``packed`` and ``replicas``."""
        answer = {str(index): server for index, server in self.items()}
        if self.packed:
            answer["packed"] = {str(index): server for index, server in self.packed.items()}
        if self.replicas:
            answer["replicas"] = sorted(self.replicas)
        return answer


@dataclass(frozen=True)
class ReplicaHere:
    """A reply that says ``Replica``, and what it says of the shards."""
    shards: object


class Search(chapter7.Search):
    def __init__(self, name, live_servers):
        super().__init__(name, live_servers)
        self.replicas: list[str] = []

    def parse(self, value):
        if not (isinstance(value, dict) and value.get("Replica") is True):
            return super().parse(value)
        rest = {k: v for k, v in value.items() if k != "Replica"}
        shards = "Id" in rest or "Packed" in rest
        return ReplicaHere(super().parse(rest if shards else {**rest, "Found": False}))

    def sender(self, reply) -> str:
        return super().sender(reply.shards if isinstance(reply, ReplicaHere) else reply)

    def add(self, reply) -> None:
        if not isinstance(reply, ReplicaHere):
            return super().add(reply)
        if self.sender(reply) not in self.replicas:
            self.replicas.append(self.sender(reply))
        super().add(reply.shards)

    def result(self) -> Located:
        found = super().result()
        return Located(found, found.packed, list(self.replicas))


class Locator(chapter7.Locator):
    search_class = Search


class LocateView(chapter3.LocateView):
    """``GET /locate/<hash>``: chapter 5's map of shards, plus the packed shards and the replicas."""

    def shown(self, result) -> dict:
        return result.shown()
