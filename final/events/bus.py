"""``EventBus``: a server's publisher on ``objectEvents``, and its listener there.

One thread owns one RabbitMQ connection (pika's is not thread-safe). ``publish`` puts an event in
the outbox and wakes that thread (``add_callback_threadsafe``), which publishes it persistent, in
publisher-confirm mode: an event leaves the outbox only once the broker has taken it. What the
caller gets back (``Sent``) says when that happened, so an api server answers a request once its
event is safe in the broker (waiting at most ``CONFIRM_WAIT``; while the broker is away, events wait
in the outbox, and the request does not). An outbox of ``OUTBOX`` events drops new ones, counted
in ``dropped`` and logged: the store never stops storing for want of a broker. An event published
twice (a confirm lost with its connection) is possible; a lost one only past a full outbox or a
crash before the broker took it. Given a ``listener``, the bus also hears every server's events
(each api server's web feed).
"""
import json
import logging
import threading
from collections import deque

import pika
from pika.exceptions import AMQPError

from chapter02_distributed.common.rabbitmq import AmqpWorker, own_queue
from final.events.records import EXCHANGE

OUTBOX = 10000               # events waiting for the broker before new ones are dropped
CONFIRM_WAIT = 2.0           # seconds an api request waits for its event's confirm (then it goes on)
LISTEN_MAX = 64 << 10        # bytes of an event a listener reads (bigger: dropped unread)

log = logging.getLogger(__name__)


class Sent(threading.Event):
    """Set once the broker confirmed the event."""


class EventBus(AmqpWorker):
    """Publishes events to ``objectEvents`` (confirmed), and hands every one heard to ``listener``."""

    def __init__(self, url: str, listener=None, name: str = "events"):
        super().__init__(url, name=name)
        self.listener = listener
        self.outbox: deque = deque()
        self.lock = threading.Lock()
        self.connected = self._flushing = False
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
        connection = self.connection
        if self.connected and connection is not None:
            try:
                connection.add_callback_threadsafe(self._flush)
            except (AMQPError, OSError, AttributeError):      # closing: the next connection sends it
                pass
        return sent

    def wait(self, sent: Sent, timeout: float = CONFIRM_WAIT) -> bool:
        """Whether the broker took the event within ``timeout`` (no wait while it is away)."""
        return sent.is_set() or (self.connected and sent.wait(timeout))

    def drain(self, timeout: float) -> bool:
        """Wait until every event so far was confirmed (a tool before it exits)."""
        with self.lock:
            last = self.outbox[-1][-1] if self.outbox else None
        return last is None or last.wait(timeout)

    def serve(self, channel) -> None:
        channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
        channel.confirm_delivery()
        if self.listener is not None:
            inbox = own_queue(channel, bounded=True)
            channel.queue_bind(inbox, EXCHANGE, routing_key="#")
            channel.basic_consume(inbox, self._heard, auto_ack=True)
        self._channel, self.connected = channel, True
        try:
            while not self.stopping.is_set():
                self._flush()
                self.pump(0.2)
        finally:
            self.connected = False

    def _flush(self) -> None:
        """Publish the outbox, oldest first; an event leaves it once confirmed."""
        if self._flushing:          # (called back while a publish waits for its confirm)
            return
        self._flushing = True
        try:
            self._publish_all()
        finally:
            self._flushing = False

    def _publish_all(self) -> None:
        while True:
            with self.lock:
                if not self.outbox:
                    return
                key, body, headers, message_id, sent = self.outbox[0]
            properties = pika.BasicProperties(content_type="application/json", delivery_mode=2,
                                              headers=headers, message_id=message_id)
            self._channel.basic_publish(EXCHANGE, key, body, properties)    # raises when not confirmed
            with self.lock:
                self.outbox.popleft()
            self.published += 1
            sent.set()

    def _heard(self, _channel, _method, properties, body: bytes) -> None:
        if len(body) > LISTEN_MAX:
            return
        try:
            self.listener(json.loads(body), properties)
        except Exception:       # one bad message is dropped, never the bus
            log.warning("events: dropped a message the listener refused", exc_info=True)
