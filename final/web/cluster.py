"""The cluster as the web view shows it: every api and data server, how long ago each was heard,
its disk and what it holds (issue 22).

Data servers are chapter 2's heartbeats (``WatchedServers``: the same live list, which also tells
when a server joins or leaves, and each one's heartbeat age). Api servers learn of each other the
same way: each beats its address to the fanout exchange ``apiPeers`` (``PeerBeat``, which also
sweeps both lists every beat, so a server that stopped is seen leaving even when nobody looks).
A card turns stale once its server missed a beat (``stale_after``) and goes when chapter 2
forgets it (``HEARTBEAT_EXPIRY``). A data server's disk and counts are its ``/healthz``.
"""
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

from chapter02_distributed.api_server.heartbeat import DataServers
from chapter02_distributed.common.rabbitmq import AmqpWorker, consume, own_queue, parse_address, publish

PEER_EXCHANGE = "apiPeers"
HEALTH_TIMEOUT = 1.0          # seconds a card waits for a data server's /healthz

_asks = ThreadPoolExecutor(max_workers=8, thread_name_prefix="cards")


class WatchedServers(DataServers):
    """Chapter 2's live servers; ``on_change(kind, address)`` hears of joins and leaves."""

    def __init__(self, expiry: float, on_change=None, clock=time.monotonic):
        super().__init__(expiry, clock)
        self.on_change = on_change or (lambda kind, address: None)
        self._known: set[str] = set()          # the servers told as joined and not yet as left
        self._telling = threading.Lock()

    def beat(self, address: str) -> None:
        super().beat(address)
        with self._telling:
            new = address not in self._known
            self._known.add(address)
        if new:
            self.on_change("ServerJoined", address)

    def live(self) -> list[str]:
        live = super().live()
        with self._telling:                    # two sweeps at once tell a leave once
            gone = self._known - set(live)
            self._known -= gone
        for address in sorted(gone):
            self.on_change("ServerLeft", address)
        return live

    def ages(self) -> dict[str, float]:
        """Seconds since each live server was heard."""
        live, now = self.live(), self.clock()
        with self._lock:
            return {address: now - self._heard[address] for address in live if address in self._heard}


class PeerBeat(AmqpWorker):
    """This api server's heartbeat to its peers, their beats into ``peers``, and a sweep of ``watched``."""

    def __init__(self, url: str, address: str, interval: float, peers: WatchedServers, watched=()):
        super().__init__(url, name="peers")
        self.address, self.interval, self.peers = address, max(interval, 0.05), peers
        self.watched = [peers, *watched]

    def serve(self, channel) -> None:
        channel.exchange_declare(PEER_EXCHANGE, exchange_type="fanout", durable=True)
        consume(channel, own_queue(channel, PEER_EXCHANGE), lambda a, _props: self.peers.beat(a), parse_address)
        due = time.monotonic()
        while not self.stopping.is_set():
            if time.monotonic() >= due:
                publish(channel, PEER_EXCHANGE, "", self.address)
                for servers in self.watched:
                    servers.live()              # joins and leaves are told as they happen
                due = max(due + self.interval, time.monotonic())
            # (pika returns from pump as soon as a message came, this server's own beat too: the beat
            # keeps its own clock, or each beat would send the next at once)
            self.pump(max(due - time.monotonic(), 0.01))


@dataclass
class Card:
    """One server as the cluster page shows it."""
    address: str
    role: str
    age: float
    stale: bool
    health: dict | None = None               # a data server's /healthz; None: it did not answer
    repairs: list = field(default_factory=list)

    @property
    def disk(self) -> dict:
        return (self.health or {}).get("disk") or {}

    @property
    def containers(self) -> dict:
        return (self.health or {}).get("containers") or {}


class Cluster:
    """The cards of every server this api server knows of."""

    def __init__(self, me: str, data: WatchedServers, peers: WatchedServers, stale_after: float, feed):
        self.me, self.data, self.peers, self.stale_after, self.feed = me, data, peers, stale_after, feed
        self._health: tuple[float, dict] = (0.0, {})     # (when, address -> /healthz): every viewer's poll shares it

    def cards(self) -> dict[str, list[Card]]:
        data = self.data.ages()
        health = self.health(sorted(data))
        peers = self.peers.ages()
        peers.setdefault(self.me, 0.0)             # this server, even before its first beat came back
        return {
            "api": [Card(a, "api", age, age > self.stale_after) for a, age in sorted(peers.items())],
            "data": [Card(a, "data", age, age > self.stale_after, health[a],
                          self.feed.recent(3, "ShardRepaired", a)) for a, age in sorted(data.items())],
        }


    def health(self, addresses: list[str]) -> dict:
        """Each data server's ``/healthz``, asked at most once a second whoever looks."""
        asked, known = self._health
        if time.monotonic() - asked > HEALTH_TIMEOUT or set(addresses) - set(known):
            known = dict(zip(addresses, _asks.map(_health, addresses)))
            self._health = (time.monotonic(), known)
        return {address: known.get(address) for address in addresses}


def _health(address: str) -> dict | None:
    try:
        with requests.get(f"http://{address}/healthz", timeout=HEALTH_TIMEOUT) as response:
            return response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return None
