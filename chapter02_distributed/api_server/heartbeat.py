"""The api server's view of live data servers, fed by heartbeats (book §4.2).

Go: ``chapter2/apiServer/heartbeat/{heartbeat,choose}.go``. A server unheard for ``expiry`` seconds
is forgotten; expiry is checked when the list is read (no sweeper thread), against an injectable
monotonic clock. Choices use the system's random source (D22), not an unseeded generator.
"""
import random
import threading
import time
from typing import Callable

from chapter01_single.errors import ServiceUnavailable
from chapter02_distributed.common.rabbitmq import API_EXCHANGE, AmqpWorker, consume, own_queue, parse_address

_random = random.SystemRandom()


class NoLiveDataServer(ServiceUnavailable):
    """Too few live data servers are known; try again later."""


class DataServers:
    """Live data-server addresses with the time each was last heard."""

    def __init__(self, expiry: float, clock: Callable[[], float] = time.monotonic):
        self.expiry = expiry
        self.clock = clock
        self._heard: dict[str, float] = {}
        self._lock = threading.Lock()

    def beat(self, address: str) -> None:
        """Record a heartbeat from ``address``."""
        with self._lock:
            self._heard[address] = self.clock()

    def live(self) -> list[str]:
        """The sorted addresses heard within ``expiry`` seconds."""
        deadline = self.clock() - self.expiry
        with self._lock:
            for address in [a for a, t in self._heard.items() if t < deadline]:
                del self._heard[address]
            return sorted(self._heard)

    def is_live(self, address: str) -> bool:
        return address in self.live()

    def choose(self, n: int = 1, exclude=()) -> list[str]:
        """``n`` distinct random live servers not in ``exclude``, or [] when there are too few."""
        candidates = [a for a in self.live() if a not in set(exclude)]
        return _random.sample(candidates, n) if len(candidates) >= n else []


class HeartbeatListener(AmqpWorker):
    """Feeds ``servers`` from the ``apiServers`` exchange."""

    def __init__(self, url: str, servers: DataServers):
        super().__init__(url, name="heartbeats")
        self.servers = servers

    def parse(self, value):
        """A beat: the data server's address as a JSON string."""
        return parse_address(value)

    def serve(self, channel) -> None:
        queue = own_queue(channel, API_EXCHANGE)
        consume(channel, queue, lambda address, _props: self.servers.beat(address), self.parse)
        while not self.stopping.is_set():
            self.pump(0.5)
