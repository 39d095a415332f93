"""The web view's live feed: what happened in the store, for server-sent events (issue 22).

Every api server publishes what it did (an object created, copied, completed or removed through
S3, a shard rewritten by a GET) to RabbitMQ's topic exchange ``objectEvents`` (routing key: the
event's kind) and reads that exchange back into ``EventLog``, a ring of recent events: a viewer of
either api server sees what both did. Servers joining and leaving are seen by each api server in
its own heartbeats and go straight into its log. One thread, one connection, publishes and
consumes. Best effort: when the broker is down or the outbox is full an event is dropped, never a
request slowed; the feed is a view, not a record.
"""
import itertools
import logging
import queue
import threading
import time
from collections import deque

from chapter02_distributed.common.rabbitmq import AmqpWorker, consume, own_queue, publish

EXCHANGE = "objectEvents"
RING = 200                   # events an api server keeps for new viewers
OUTBOX = 1000                # events waiting for the broker before new ones are dropped
KINDS = ("ObjectCreated:Put", "ObjectCreated:Copy", "ObjectCreated:CompleteMultipartUpload",
         "ObjectRemoved:Delete", "ShardRepaired", "ServerJoined", "ServerLeft")
FIELDS = {"kind": str, "bucket": str, "key": str, "size": int, "etag": str, "server": str, "role": str,
          "shard": int, "time": float, "request_id": str, "user": str}

log = logging.getLogger(__name__)


class EventLog:
    """The last ``RING`` events, numbered; readers wait for newer ones."""

    def __init__(self, size: int = RING, clock=time.time):
        self.clock = clock
        self._events: deque = deque(maxlen=size)
        self._numbers = itertools.count(1)
        self._changed = threading.Condition()

    def add(self, event: dict) -> None:
        with self._changed:
            self._events.append((next(self._numbers), {"time": self.clock(), **event}))
            self._changed.notify_all()

    @property
    def last(self) -> int:
        with self._changed:
            return self._events[-1][0] if self._events else 0

    def after(self, number: int, timeout: float = 0.0) -> list[tuple[int, dict]]:
        """The events numbered past ``number``, waiting up to ``timeout`` seconds for one."""
        with self._changed:
            self._changed.wait_for(lambda: self._events and self._events[-1][0] > number, timeout)
            return [(n, event) for n, event in self._events if n > number]

    def recent(self, count: int, kind: str | None = None, server: str | None = None) -> list[dict]:
        """The newest ``count`` events (of ``kind``, naming ``server``), newest first."""
        with self._changed:
            events = [e for _, e in reversed(self._events)
                      if (kind is None or e["kind"] == kind) and (server is None or e.get("server") == server)]
        return events[:count]


class EventBus(AmqpWorker):
    """Publishes this server's events to ``objectEvents`` and feeds every server's into ``feed``."""

    def __init__(self, url: str, feed: EventLog):
        super().__init__(url, name="events")
        self.feed = feed
        self.outbox: queue.Queue = queue.Queue(OUTBOX)

    def publish(self, event: dict) -> None:
        """Send ``event`` soon (never blocks: dropped when the outbox is full)."""
        try:
            self.outbox.put_nowait(dict(event, time=event.get("time") or time.time()))
        except queue.Full:
            log.warning("event feed: outbox full, %s dropped", event.get("kind"))

    def serve(self, channel) -> None:
        channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
        inbox = own_queue(channel, bounded=True)
        channel.queue_bind(inbox, EXCHANGE, routing_key="#")
        consume(channel, inbox, lambda event, _props: self.feed.add(event), parse_event)
        while not self.stopping.is_set():
            while not self.outbox.empty():
                event = self.outbox.get_nowait()
                publish(channel, EXCHANGE, event["kind"], event)
            self.pump(0.1)


def parse_event(value) -> dict:
    """An event as published: a kind of ``KINDS``, and only ``FIELDS`` of their types."""
    if not isinstance(value, dict) or value.get("kind") not in KINDS:
        raise ValueError("not an event")
    for name, item in value.items():
        kind = FIELDS.get(name)
        if kind is None or not isinstance(item, (int, float) if kind is float else kind) or isinstance(item, bool):
            raise ValueError(f"bad field {name!r}")
    if not 0 <= value.get("time", 0) < 2 ** 33:         # NaN is neither
        raise ValueError("bad time")
    return value
