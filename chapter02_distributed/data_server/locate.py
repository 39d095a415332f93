"""The data server's locate listener (book §4.2, fixed per D8 and D10).

Go: ``chapter2/dataServer/locate/locate.go``. Each request on ``dataServers`` is a JSON string
naming an object; the server replies with its address to the request's ``reply_to`` queue, with the
request's ``correlation_id``, when it holds the object, and stays silent otherwise. A name that is
not a valid object name is never looked up on disk.

Beyond the book (issue 18): replies go only to RabbitMQ's direct-reply pseudo-queue (the channel
that asked), never to any queue a message names (six servers answering one forged message into a
victim's queue multiplied it); the queue is bounded and read a few messages at a time, so a flood
of requests waits and goes stale in the broker while real requests still get through.
"""
import logging

from chapter02_distributed.common.rabbitmq import (DATA_EXCHANGE, DIRECT_REPLY, AmqpWorker, consume, own_queue,
                                                   publish)

PREFETCH = 16           # locate requests taken from the broker at a time

log = logging.getLogger(__name__)


class LocateListener(AmqpWorker):
    """Answers locate requests for the objects in ``store``."""

    def __init__(self, url: str, address: str, store):
        super().__init__(url, name="locate")
        self.address = address
        self.store = store

    def parse(self, value):
        """A request: the object name as a JSON string."""
        if not isinstance(value, str):
            raise ValueError("a locate request is a JSON string")
        return value

    def answer(self, name):
        """The reply for ``name``, or None to stay silent."""
        return self.address if self.store.exists(name) else None

    def serve(self, channel) -> None:
        queue = own_queue(channel, DATA_EXCHANGE, bounded=True)
        consume(channel, queue, lambda name, props: self._reply(channel, name, props), self.parse, PREFETCH)
        while not self.stopping.is_set():
            self.pump(0.5)

    def _reply(self, channel, name, props) -> None:
        if not (props.reply_to or "").startswith(DIRECT_REPLY + "."):
            log.warning("dropped a locate request whose reply_to is not a direct reply: %r", props.reply_to)
            return
        reply = self.answer(name)
        if reply is not None:
            publish(channel, "", props.reply_to, reply, correlation_id=props.correlation_id)
