"""``EventBus``: a server's publisher on ``objectEvents``, and its listener there.

One thread owns one RabbitMQ connection (pika's is not thread-safe). ``publish`` puts an event in
the outbox and returns at once; every ``FLUSH_INTERVAL`` that thread publishes what the outbox holds,
persistent, in one AMQP transaction: the events leave the outbox once the broker has committed them
(written them to the durable queues bound, such as the notifier's), so a broken connection loses
none, it sends them again (twice, maybe: at least once). Each event is published once; the broker
copies those that matched a webhook to the notifier's durable inbox (``records.declare_inbox``,
which the bus declares on connecting and every ``DECLARE_INTERVAL``, so the inbox is there even
before any notifier ran, and again soon after someone deleted it). Batches are the point: one commit per
event cost the api and the broker 0.8 ms of CPU, eight a commit 0.14 ms each (bench/bench_events.py).
A request is answered without waiting for its event: what an api server killed in those
milliseconds held is lost, as are events past a full outbox (``OUTBOX``, while the broker is away:
counted in ``dropped`` and logged; the store never stops storing for want of a broker).
Given a ``listener`` (an api server's web feed), the bus also hears every server's events, but
only while ``wanted()`` says someone watches: consuming them all costs every api server as much as
publishing its own.
"""
import itertools
import json
import logging
import threading
import time
from collections import deque

import pika

from chapter02_distributed.common.rabbitmq import AmqpWorker, own_queue
from final.events import records
from final.events.records import EXCHANGE

OUTBOX = 10000               # events waiting for the broker before new ones are dropped
BATCH = 256                  # events published in one transaction at most
FLUSH_INTERVAL = 0.05        # seconds between two transactions (at most this late)
DECLARE_INTERVAL = 5.0       # seconds between two declarations of the notifier's inbox
LISTEN_MAX = 64 << 10        # bytes of an event a listener reads (bigger: dropped unread)

log = logging.getLogger(__name__)


class Sent(threading.Event):
    """Set once the broker committed the event."""


class EventBus(AmqpWorker):
    """Publishes events to ``objectEvents`` (in transactions), and hands those heard to ``listener``."""

    def __init__(self, url: str, listener=None, name: str = "events", wanted=lambda: True):
        super().__init__(url, name=name)
        self.listener, self.wanted = listener, wanted
        self.outbox: deque = deque()
        self.lock = threading.Lock()
        self.connected = False
        self.published = self.dropped = 0

    def publish(self, body: dict, key: str | None = None, headers: dict | None = None,
                message_id: str | None = None) -> Sent:
        """Send ``body`` (routing key ``key``, default its ``kind``) soon; never blocks."""
        sent = Sent()
        with self.lock:
            if len(self.outbox) >= OUTBOX:
                self.dropped += 1
                log.warning("events: outbox full (the broker is away?), an event of %s dropped", key or body.get("kind"))
                return sent
            self.outbox.append((key or body["kind"], json.dumps(body).encode(), headers, message_id, sent))
        return sent

    def drain(self, timeout: float) -> bool:
        """Wait until every event so far was committed (a tool before it exits)."""
        with self.lock:
            last = self.outbox[-1][-1] if self.outbox else None
        return last is None or last.wait(timeout)

    def serve(self, channel) -> None:
        channel.tx_select()              # (the exchange is declared with the inbox, first thing below)
        listening = None                 # (consumer tag, queue) while the listener hears events
        declared = 0.0
        self.connected = True
        try:
            while not self.stopping.is_set():
                if time.monotonic() - declared > DECLARE_INTERVAL:
                    records.declare_inbox(channel)
                    declared = time.monotonic()
                if self.listener is not None and (listening is None) == bool(self.wanted()):
                    listening = self._listen(channel) if listening is None else self._unlisten(channel, *listening)
                self.pump(FLUSH_INTERVAL)
                self._flush(channel)
            self._flush(channel)
        finally:
            self.connected = False

    def _listen(self, channel) -> tuple[str, str]:
        inbox = own_queue(channel, bounded=True)
        channel.queue_bind(inbox, EXCHANGE, routing_key="#")
        return channel.basic_consume(inbox, self._heard, auto_ack=True), inbox

    def _unlisten(self, channel, tag: str, inbox: str) -> None:
        channel.basic_cancel(tag)
        channel.queue_delete(inbox)
        return None

    def _flush(self, channel) -> None:
        """Publish the outbox, oldest first, a transaction a batch."""
        while True:
            with self.lock:
                batch = list(itertools.islice(self.outbox, BATCH))
            if not batch:
                return
            for key, body, headers, message_id, _ in batch:
                channel.basic_publish(EXCHANGE, key, body, pika.BasicProperties(
                    content_type="application/json", delivery_mode=2, headers=headers, message_id=message_id))
            channel.tx_commit()                  # all of them taken (and written), or none: raises
            with self.lock:
                for _ in batch:
                    self.outbox.popleft()
            self.published += len(batch)
            for *_, sent in batch:
                sent.set()

    def _heard(self, _channel, _method, properties, body: bytes) -> None:
        if len(body) > LISTEN_MAX:
            return
        try:
            self.listener(json.loads(body), properties)
        except Exception:       # one bad message is dropped, never the bus
            log.warning("events: dropped a message the listener refused", exc_info=True)
