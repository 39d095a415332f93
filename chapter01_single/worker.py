"""gunicorn's threaded worker, hardened against clients that stall or send garbage (issue 18).

gunicorn's ``gthread`` worker waits at most 5 s for a request's first byte, but once a byte has
come it reads the rest of the headers, and the body, with no time limit: 33 connections that
stalled mid-header held every thread of a server for minutes (slowloris). Here every accepted
socket gets kernel timeouts (``SO_RCVTIMEO``/``SO_SNDTIMEO``): a read or write that sees no progress
for ``READ_TIMEOUT`` seconds fails, the request is dropped and its thread is free again. The
error pages gunicorn writes itself (a request it cannot parse) are the JSON error body of
interfaces.md, not HTML.
"""
import json
import logging
import socket
import struct

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

READ_TIMEOUT = 15.0       # seconds of silence a server waits for a client's next bytes
WRITE_TIMEOUT = 30.0      # seconds a server waits for a client to take the next bytes


class GuardedWorker(ThreadWorker):
    """``gthread`` with per-socket read and write timeouts."""
    read_timeout = READ_TIMEOUT

    def init_process(self):
        self.log.error_log.addFilter(_StalledClient(self.read_timeout))
        super().init_process()

    def enqueue_req(self, conn):
        if not getattr(conn, "guarded", False):
            set_timeouts(conn.sock, self.read_timeout, max(WRITE_TIMEOUT, self.read_timeout))
            conn.guarded = True
        super().enqueue_req(conn)


class _StalledClient(logging.Filter):
    """gunicorn logs a timed-out read as an unexpected socket error with its traceback: one line will do."""

    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], BlockingIOError):
            record.msg, record.args = "dropped a client silent for %s s", (self.timeout,)
            record.exc_info = record.exc_text = None
        return True


def set_timeouts(sock: socket.socket, read: float, write: float) -> None:
    """Kernel timeouts on a blocking socket: a recv or send with no progress for that long fails."""
    for option, seconds in ((socket.SO_RCVTIMEO, read), (socket.SO_SNDTIMEO, write)):
        whole = int(seconds)
        sock.setsockopt(socket.SOL_SOCKET, option, struct.pack("ll", whole, int((seconds - whole) * 1e6)))


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's ``util.write_error``, answering the JSON error body instead of an HTML page."""
    body = json.dumps({"error": reason.title().replace(" ", ""), "message": mesg or reason}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
    util.write_nonblock(sock, head + body)


util.write_error = write_json_error      # gunicorn writes its own error pages through this function
