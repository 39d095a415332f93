"""Locate: which data server holds an object (book §4.2, fixed per D10).

Go: ``chapter2/apiServer/locate/{locate,handler}.go``. Instead of a new connection per call, one
``Locator`` thread owns the connection and takes replies on RabbitMQ's direct reply-to (they can
only come back to this channel); each call publishes the name to ``dataServers`` with a fresh
correlation id (and an expiry: a request nobody took in time is dropped) and waits for the replies
that carry it. Only replies from data servers that were live when the search began count: a
process that merely reads the broker cannot insert itself (issue 18). A ``Search`` decides when
it is done: in chapter 2, at the first positive reply, else after ``LOCATE_TIMEOUT``.
"""
import functools
import json
import logging
import threading
import uuid

from flask import Response

from chapter01_single.app import Resource
from chapter01_single.errors import ObjectNotFound, ServiceUnavailable
from chapter02_distributed.api_server.heartbeat import NoLiveDataServer
from chapter02_distributed.common.rabbitmq import DATA_EXCHANGE, DIRECT_REPLY, AmqpWorker, consume, parse_address, publish


log = logging.getLogger(__name__)


class MessagingUnavailable(ServiceUnavailable):
    """RabbitMQ is not reachable; try again later."""


class Search:
    """One locate call: the request body, the replies so far, and when to stop waiting."""

    def __init__(self, name: str, live_servers: list[str]):
        self.message = name
        self.live_servers = live_servers
        self.address: str | None = None
        self.done = threading.Event()

    def parse(self, value):
        """A reply: the address of a data server that holds the object."""
        return parse_address(value)

    def sender(self, reply) -> str:
        """The data server a parsed reply speaks for."""
        return reply

    def add(self, reply) -> None:
        """Take one parsed reply; the first positive one ends the search."""
        if self.address is None:
            self.address = reply
        self.done.set()

    def result(self):
        return self.address


class Locator(AmqpWorker):
    """Publishes locate requests and routes replies to the waiting ``Search``."""
    search_class = Search

    def __init__(self, url: str, timeout: float, servers):
        super().__init__(url, name="locator")
        self.timeout = timeout
        self.servers = servers
        self._pending: dict[str, Search] = {}
        self._reply_queue: str | None = None
        self._channel = None

    def locate(self, name: str):
        """The search result for ``name`` (chapter 2: an address or None)."""
        search = self.search_class(name, self.servers.live())
        if not search.live_servers:          # nobody could answer: do not wait, and do not say 404
            raise NoLiveDataServer("no live data server is known; try again later")
        key = uuid.uuid4().hex
        self._pending[key] = search
        try:
            self._send(key, search.message)
            search.done.wait(self.timeout)
        finally:
            del self._pending[key]
        return search.result()

    def serve(self, channel) -> None:
        self._reply_queue = DIRECT_REPLY                 # replies come back to this channel only
        consume(channel, self._reply_queue, self._on_reply, json_value)
        self._channel = channel
        try:
            while not self.stopping.is_set():
                self.pump(0.5)
        finally:
            self._channel = None

    def _send(self, key: str, message) -> None:
        connection, channel = self.connection, self._channel
        if connection is None or channel is None:
            raise MessagingUnavailable("RabbitMQ is not connected; try again later")
        send = functools.partial(publish, channel, DATA_EXCHANGE, "", message, reply_to=self._reply_queue,
                                 correlation_id=key, expiration=str(max(1, int(self.timeout * 1000))))
        try:
            connection.add_callback_threadsafe(send)
        except Exception:   # the connection closed under us
            raise MessagingUnavailable("RabbitMQ connection lost; try again later") from None

    def _on_reply(self, value, props) -> None:
        search = self._pending.get(props.correlation_id or "")
        if search is None:
            return    # a late reply to a finished search
        try:
            reply = search.parse(value)
        except (ValueError, TypeError, KeyError):
            return
        if search.sender(reply) not in search.live_servers:
            log.warning("dropped a locate reply from %r, not a live data server", search.sender(reply))
            return
        search.add(reply)


def json_value(value):
    """Replies are parsed by their ``Search``; here any JSON value passes."""
    return value


class LocateView(Resource):
    """``GET /locate/<name>``: the JSON of the locate result, 404 when nothing holds it."""
    prefix = "/locate/"

    def __init__(self, locator: Locator):
        self.locator = locator

    def get(self, name: str):
        result = self.locator.locate(name)
        if not result:
            raise ObjectNotFound(f"no data server holds {name!r}")
        return Response(json.dumps(self.shown(result), separators=(",", ":")), mimetype="application/json")

    def shown(self, result):
        """What the answer says of a locate result (a later chapter's result may say more)."""
        return result
