"""Zero-copy relay of a data server's response body to the client (Linux ``splice(2)``).

Speed only: skip this module on first reading; the chapter works the same without it.

A plain relay copies every byte twice through Python (received, then sent). When the WSGI server
exposes the client's socket (gunicorn's ``environ["gunicorn.socket"]``) and the platform has
``os.splice``, the body moves data-server socket -> pipe -> client socket inside the kernel. The
status and headers still go through gunicorn, sent by a first chunk of the bytes that were
already buffered; the rest of the body is spliced straight behind them. Elsewhere (another
server, another OS, a body of unknown length) the body is relayed in chunks.
"""
import fcntl
import os
import select
from typing import Iterator

import requests

from chapter02_distributed.common.objectstream import TIMEOUT, DataServerError, iter_body

PIPE_SIZE = 1 << 20                 # bytes moved per splice; Linux's default pipe-max-size
FLAGS = getattr(os, "SPLICE_F_MOVE", 0) | getattr(os, "SPLICE_F_NONBLOCK", 0)


def relay_body(upstream: requests.Response, environ: dict, length: int | None) -> Iterator[bytes]:
    """The body of ``upstream`` for a WSGI response: spliced when possible, else in chunks."""
    client = environ.get("gunicorn.socket")
    source = _raw_socket(upstream)
    if not (hasattr(os, "splice") and client is not None and source is not None and length
            and environ.get("REQUEST_METHOD") == "GET"):     # werkzeug drops a HEAD's body; be sure
        yield from iter_body(upstream)
        return
    try:
        try:
            buffered = source.fp.read1(min(length, 1 << 16))   # what the HTTP client read past the headers
        except OSError as error:
            raise DataServerError(f"reading from a data server failed: {error!r}") from None
        yield buffered                             # gunicorn sends the headers, then these bytes
        splice(source.fd, client.fileno(), length - len(buffered))
    finally:
        upstream.close()                           # never pooled again: its HTTP state was bypassed


def splice(source: int, target: int, count: int, timeout: float = TIMEOUT[1]) -> None:
    """Move ``count`` bytes from socket ``source`` to socket ``target`` through a pipe.

    A failing source (error, silence, early end) is a ``DataServerError``; a failing target (the
    client went away) raises its ``OSError``, which gunicorn takes as a closed connection.
    """
    read_end, write_end = os.pipe()
    try:
        try:
            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        except OSError:
            pass                                 # a smaller pipe only means more calls
        while count:
            try:
                moved = _move(source, write_end, min(count, PIPE_SIZE), source, select.POLLIN, timeout)
            except OSError as error:
                raise DataServerError(f"reading from a data server failed: {error!r}") from None
            if moved == 0:
                raise DataServerError(f"the data server closed with {count} bytes to go")
            count -= moved
            while moved:
                moved -= _move(read_end, target, moved, target, select.POLLOUT, timeout)
    finally:
        os.close(read_end)
        os.close(write_end)


class _Source:
    """The socket under a streaming response, and the buffered reader in front of it."""

    def __init__(self, fp, sock):
        self.fp, self.fd = fp, sock.fileno()


def _raw_socket(upstream: requests.Response) -> _Source | None:
    """The data server's socket, if this response is a plain HTTP/1.1 body we can take over."""
    raw = upstream.raw
    connection, reader = getattr(raw, "_connection", None), getattr(getattr(raw, "_fp", None), "fp", None)
    sock = getattr(connection, "sock", None)
    chunked = upstream.headers.get("Transfer-Encoding", "identity") != "identity"
    encoded = upstream.headers.get("Content-Encoding", "identity") != "identity"
    if sock is None or reader is None or not hasattr(reader, "read1") or chunked or encoded:
        return None
    return _Source(reader, sock)


def _move(source: int, target: int, count: int, waited: int, event: int, timeout: float) -> int:
    """One non-blocking splice, waiting up to ``timeout`` s for ``waited`` to be ready."""
    while True:
        try:
            return os.splice(source, target, count, flags=FLAGS)
        except BlockingIOError:
            poller = select.poll()
            poller.register(waited, event | select.POLLERR | select.POLLHUP)
            if not poller.poll(timeout * 1000):
                raise TimeoutError(f"no progress for {timeout} s") from None
