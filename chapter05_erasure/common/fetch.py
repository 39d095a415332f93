"""Shard GETs sent together from one thread, answered in turn (the first byte of a GET waits less).

Speed only: skip this module on first reading (what it does, a GET per shard, is the book's).

``requests`` (and urllib3 under it) sends a request and waits for its answer in one call, so six
shard GETs in parallel need six threads, and on two cores those threads mostly wait for each
other's turn at the GIL: opening six shards that way took 13-18 ms, against 3-4 ms for one.
Here each ``ShardFetch`` writes its request at once on a kept-alive ``http.client`` connection;
reading the six status lines afterwards costs the time of the slowest, not the sum.

Connections are kept per data server and reused only after their response was read to its end
(or after a short unwanted body, a 404's, is drained); any other end closes them. One that the
server closed while idle is noticed before it is used (it reads as ready), and a reused connection
found closed before its answer is retried once on a fresh one (a GET is safe to repeat); a
timeout is not retried.
"""
import http.client
import select
import threading

from chapter02_distributed.common.objectstream import TIMEOUT, with_hop_headers

_idle: dict[str, list[http.client.HTTPConnection]] = {}
_lock = threading.Lock()
MAX_IDLE = 16            # kept connections per data server
DRAIN = 1 << 16          # a body this short that is not wanted (a 404's) is read, keeping its connection
STALE = (ConnectionError, http.client.BadStatusLine)   # what a connection the server closed raises


def _take(server: str) -> tuple[http.client.HTTPConnection, bool]:
    """(a connection to ``server``, whether it was reused)."""
    with _lock:
        idle = _idle.get(server, [])
        while idle:
            connection = idle.pop()
            if not _dropped(connection):
                return connection, True
            connection.close()
    host, _, port = server.rpartition(":")
    connection = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=TIMEOUT[0])
    connection.connect()
    connection.sock.settimeout(TIMEOUT[1])
    return connection, False


def _give_back(server: str, connection: http.client.HTTPConnection) -> None:
    with _lock:
        idle = _idle.setdefault(server, [])
        if len(idle) < MAX_IDLE:
            idle.append(connection)
            return
    connection.close()


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """An idle connection that reads as ready was closed by its server (or sent garbage)."""
    if connection.sock is None:
        return True
    poller = select.poll()           # not select(): it refuses descriptors past 1023
    try:
        poller.register(connection.sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


class ShardFetch:
    """``GET <path>`` on ``server``, sent by the constructor; ``answer()`` waits for the status."""
    method = "GET"
    body: bytes | None = None        # a subclass may send a (small) body with another method

    def __init__(self, server: str, path: str, headers: dict):
        self.server, self.path, self.headers = server, path, headers
        self.connection: http.client.HTTPConnection | None = None
        self.response: http.client.HTTPResponse | None = None
        self.reused = False
        try:
            self._send()
        except STALE:
            if self.reused:             # the kept connection had gone stale: once more, on a new one
                self._drop()
                self._send_quietly()
            else:
                self._drop()
        except (OSError, http.client.HTTPException):
            self._drop()

    def _send(self) -> None:
        self.connection, self.reused = _take(self.server)
        self.connection.request(self.method, self.path, body=self.body, headers=with_hop_headers(self.headers))

    def _send_quietly(self) -> None:
        try:
            self._send()
        except (OSError, http.client.HTTPException):
            self._drop()

    def answer(self) -> int | None:
        """The response status, or None when the server could not be reached, failed or timed out."""
        if self.connection is None:
            return None
        try:
            self.response = self.connection.getresponse()
        except STALE:                   # closed before it answered: stale if it was a kept one
            if not self.reused:
                self._drop()
                return None
            self._drop()
            self._send_quietly()
            if self.connection is None:
                return None
            try:
                self.response = self.connection.getresponse()
            except (OSError, http.client.HTTPException):
                self._drop()
                return None
        except (OSError, http.client.HTTPException):   # a timeout is not retried: the wait would double
            self._drop()
            return None
        return self.response.status

    def read(self, size: int) -> bytearray | None:
        """Exactly ``size`` more body bytes; None when the body ends short or reading fails."""
        buffer = bytearray(size)
        try:
            got = self.response.readinto(buffer)     # also when size is 0: an empty body ends there
        except (OSError, http.client.HTTPException, AttributeError):
            got = -1
        if got != size:
            self._drop()
            return None
        if self._complete():                 # the whole body is read: the connection can serve again
            self._release()
        return buffer

    def close(self) -> None:
        """Done with it: a short body not read to its end is drained, a longer one takes its
        connection down with it."""
        response = self.response
        if response is not None and not response.isclosed() and response.length is not None \
                and response.length <= DRAIN:
            try:
                response.read()
            except (OSError, http.client.HTTPException):
                pass
        if self._complete():
            self._release()
        else:
            self._drop()

    def _complete(self) -> bool:
        """Whether the response was read to the end of its Content-Length (not cut short)."""
        response = self.response
        return response is not None and response.isclosed() and response.length == 0

    def _release(self) -> None:
        connection, response = self.connection, self.response
        self.connection = self.response = None
        if connection is not None and not response.will_close:
            _give_back(self.server, connection)
        elif connection is not None:
            connection.close()

    def _drop(self) -> None:
        if self.connection is not None:
            self.connection.close()
        self.connection = self.response = None
