"""The web view's live feed: what happened in the store, for server-sent events (issue 22).

Every api server publishes what it did (an object created, copied, completed or removed through
S3, as S3's event JSON; a shard rewritten by a GET) to RabbitMQ's topic exchange ``objectEvents``
(``events.bus``) and hears that exchange back into ``EventLog``, a ring of recent events: a viewer
of either api server sees what both did. Servers joining and leaving are seen by each api server in
its own heartbeats and go straight into its log. The feed is a view, not a record: it hears the
broker only while someone looks (for ``WATCHED`` seconds after a page of events or of the cluster
was asked for: hearing every event costs an api server as much as publishing its own), and what
its bounded queue drops while the server is busy is not shown (webhooks get every event: the notifier).
"""
import itertools
import threading
import time
from collections import deque
from urllib.parse import unquote_plus

from final.events import records

RING = 200                   # events an api server keeps for new viewers
WATCHED = 120                # seconds the feed is heard after a page last asked for it
KINDS = (*records.NAMES, "ShardRepaired", "ServerJoined", "ServerLeft")
FIELDS = {"kind": str, "bucket": str, "key": str, "size": int, "etag": str, "server": str, "role": str,
          "shard": int, "time": float, "request_id": str, "user": str}


class EventLog:
    """The last ``RING`` events, numbered; readers wait for newer ones. The events of the broker are
    heard (``EventBus``) only while the log is ``watched``: a page of the events or of the cluster
    was asked for in the last ``WATCHED`` seconds."""

    def __init__(self, size: int = RING, clock=time.time):
        self.clock = clock
        self.seen = -WATCHED                     # (time.monotonic) when a page last asked for the log
        self._events: deque = deque(maxlen=size)
        self._numbers = itertools.count(1)
        self._changed = threading.Condition()

    def add(self, event: dict) -> None:
        with self._changed:
            self._events.append((next(self._numbers), {"time": self.clock(), **event}))
            self._changed.notify_all()

    def watch(self) -> None:
        self.seen = time.monotonic()

    def watched(self) -> bool:
        return time.monotonic() - self.seen < WATCHED

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


def listener(feed: EventLog):
    """What an api server's ``EventBus`` does with each event it hears: S3's records of objects
    (``events.records``) go into ``feed`` as its flat events, repairs as they are."""
    def heard(value, _properties) -> None:
        if isinstance(value, dict) and "Records" in value:
            one = records.parse(value)
            s3 = one["s3"]
            event = {"kind": one["eventName"], "bucket": s3["bucket"]["name"], "key": unquote_plus(s3["object"]["key"]),
                     "user": one["userIdentity"]["principalId"], "request_id": one["responseElements"]["x-amz-request-id"],
                     "etag": s3["object"].get("eTag", ""), "size": s3["object"].get("size", 0)}
            feed.add(parse_event(event))
        else:
            feed.add(parse_event(value))
    return heard


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
