"""RabbitMQ for the book's two fanout exchanges (book §3.1, fixed per D10).

pika's ``BlockingConnection`` is not thread-safe, so each ``AmqpWorker`` is a thread that opens and
owns one long-lived connection, reconnecting with back-off when it breaks. Queues are server-named,
exclusive and auto-deleted (no queue left behind). Bodies are JSON; one that does not decode or
validate is logged and dropped, never a crash.
"""
import json
import logging
import threading
from typing import Any, Callable

import pika
from pika.exceptions import AMQPError

from chapter01_single.config import address  # unchanged since chapter 1

API_EXCHANGE = "apiServers"     # heartbeats: data servers -> api servers
DATA_EXCHANGE = "dataServers"   # locate requests: api servers -> data servers
MAX_BACKOFF = 5.0
MAX_MESSAGE = 4096      # bytes: every message of the book is a name, an address or a short JSON object
QUEUE_LENGTH = 100      # messages a bounded queue keeps (a locate flood beyond it drops its oldest)
QUEUE_TTL = 5.0         # seconds a message waits in a bounded queue (a locate is long over by then)
DIRECT_REPLY = "amq.rabbitmq.reply-to"    # RabbitMQ's pseudo-queue for replies to this channel only

log = logging.getLogger(__name__)


class AmqpWorker(threading.Thread):
    """A daemon thread owning one connection; subclasses implement ``serve(channel)``."""

    def __init__(self, url: str, name: str):
        super().__init__(name=name, daemon=True)
        self.url = url
        self.connection: pika.BlockingConnection | None = None
        self.stopping = threading.Event()

    def run(self) -> None:
        delay = 0.1
        while not self.stopping.is_set():
            try:
                self.connection = connect(self.url)
                channel = self.connection.channel()
                declare_exchanges(channel)
                delay = 0.1
                self.serve(channel)
            except (AMQPError, OSError) as error:
                log.warning("%s: RabbitMQ connection lost (%r), retrying in %.1fs", self.name, error, delay)
            except Exception:
                log.exception("%s: unexpected error, restarting", self.name)
            finally:
                self._disconnect()
            self.stopping.wait(delay)
            delay = min(delay * 2, MAX_BACKOFF)

    def serve(self, channel) -> None:
        """Work on ``channel`` until ``self.stopping`` is set; raise when the connection breaks."""
        raise NotImplementedError

    def pump(self, seconds: float) -> None:
        """Deliver messages and broker heartbeats for ``seconds``, in this thread."""
        self.connection.process_data_events(time_limit=seconds)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=2)

    def _disconnect(self) -> None:
        connection, self.connection = self.connection, None
        try:
            if connection is not None and connection.is_open:
                connection.close()
        except (AMQPError, OSError):
            pass


def connect(url: str) -> pika.BlockingConnection:
    """A connection that notices a dead broker within seconds, not minutes."""
    params = pika.URLParameters(url)
    params.heartbeat = 10
    params.blocked_connection_timeout = 10
    params.socket_timeout = 3
    params.connection_attempts = 1
    return pika.BlockingConnection(params)


def declare_exchanges(channel) -> None:
    """Declare both fanout exchanges; idempotent, durable like the book's rabbitmqadmin set-up."""
    for exchange in (API_EXCHANGE, DATA_EXCHANGE):
        channel.exchange_declare(exchange, exchange_type="fanout", durable=True)


def own_queue(channel, exchange: str | None = None, bounded: bool = False) -> str:
    """A server-named exclusive queue, bound to ``exchange`` when given. A ``bounded`` queue keeps
    at most ``QUEUE_LENGTH`` messages (the oldest go first) for at most ``QUEUE_TTL`` seconds: a
    flood waits in the broker, not in the server, and goes stale there."""
    arguments = {"x-max-length": QUEUE_LENGTH, "x-message-ttl": int(QUEUE_TTL * 1000)} if bounded else None
    queue = channel.queue_declare("", exclusive=True, auto_delete=True, arguments=arguments).method.queue
    if exchange:
        channel.queue_bind(queue, exchange)
    return queue


def publish(channel, exchange: str, routing_key: str, body: Any, **properties) -> None:
    """Publish ``body`` as JSON."""
    props = pika.BasicProperties(content_type="application/json", **properties)
    channel.basic_publish(exchange, routing_key, json.dumps(body).encode(), props)


def consume(channel, queue: str, handle: Callable[[Any, Any], None], parse: Callable[[Any], Any],
            prefetch: int = 0) -> None:
    """Call ``handle(value, properties)`` for each message whose JSON body ``parse`` accepts.

    A body longer than ``MAX_MESSAGE`` is dropped unread; whatever a body makes the decoder or
    ``parse`` raise (a deeply nested array raises RecursionError) drops that message alone. With
    ``prefetch``, at most that many messages are on their way at once (acknowledged one by one),
    so the rest wait in the queue, where its bounds apply."""
    def on_message(_channel, method, properties, body):
        try:
            take(properties, body)
        finally:
            if prefetch:
                channel.basic_ack(method.delivery_tag)

    def take(properties, body):
        if len(body) > MAX_MESSAGE:
            log.warning("dropped a message of %d bytes on %s (at most %d)", len(body), queue, MAX_MESSAGE)
            return
        try:
            value = parse(json.loads(body))
        except Exception as error:
            log.warning("dropped a malformed message on %s: %r (%s)", queue, body[:200], error.__class__.__name__)
            return
        try:
            handle(value, properties)
        except (AMQPError, OSError):
            raise                      # the connection broke: the worker reconnects
        except Exception:
            log.exception("dropped a message on %s that could not be handled: %r", queue, body[:200])
    if prefetch:
        channel.basic_qos(prefetch_count=prefetch)
    channel.basic_consume(queue, on_message, auto_ack=not prefetch)


def parse_address(value: Any) -> str:
    """A ``host:port`` string, as heartbeats and locate replies carry."""
    if not isinstance(value, str) or len(value) > 255:
        raise ValueError("not an address string")
    return address(value)
