"""Request bodies read straight from the client's socket under gunicorn (a faster ``wsgi.input``).

Speed only: skip this module on first reading; the chapter works the same without it.

gunicorn's body reader passes each byte through two ``BytesIO`` buffers, copied several times
while holding the GIL; at a few hundred MB/s that is a server's busiest loop. For a body with a
Content-Length, ``SocketBody`` reads it itself: first what gunicorn had already received past the
headers, then ``recv_into`` one fresh buffer per ``read``. It keeps gunicorn's reader counting down
with it, so whatever is left unread is still drained (keep-alive stays correct) and bytes past the
body stay gunicorn's. Anywhere else (another server, a chunked body) the request's own stream is used.
"""
import io

from flask import request


class SocketBody:
    """A Content-Length body of a gunicorn request, read like a file (``read(size)``)."""

    def __init__(self, sock, reader, unreader):
        self.sock, self.reader, self.unreader = sock, reader, unreader
        self.ahead: memoryview | None = None      # received by gunicorn, not yet read

    def read(self, size: int) -> bytearray:
        """Up to ``size`` bytes; shorter only at the end of the body or when the client is gone."""
        if self.ahead is None:
            self.ahead = self._take_buffered()
        chunk = bytearray(min(size, self.reader.length))
        view, filled = memoryview(chunk), len(self.ahead[:len(chunk)])
        view[:filled], self.ahead = self.ahead[:filled], self.ahead[filled:]
        self.reader.length -= filled
        while filled < len(chunk):
            try:
                got = self.sock.recv_into(view[filled:])
            except OSError:                        # reset by the client: the body ends short
                got = 0
            if not got:
                self.reader.length = 0             # gunicorn closes a connection that ended early
                return chunk[:filled]
            filled += got
            self.reader.length -= got
        return chunk

    def _take_buffered(self) -> memoryview:
        unreader = self.unreader
        data = unreader.buf.getvalue()
        unreader.buf = io.BytesIO()
        if len(data) > self.reader.length:         # a pipelined next request: leave it to gunicorn
            unreader.unread(data[self.reader.length:])
            data = data[:self.reader.length]
        return memoryview(data)


def request_stream():
    """The current request's body as a readable stream: a ``SocketBody`` when possible."""
    environ = request.environ
    sock, body = environ.get("gunicorn.socket"), environ.get("wsgi.input")
    reader = getattr(body, "reader", None)
    unreader = getattr(reader, "unreader", None)
    if (sock is not None and type(reader).__name__ == "LengthReader"
            and getattr(unreader, "sock", None) is sock and _empty(getattr(body, "buf", None))
            and isinstance(getattr(unreader, "buf", None), io.BytesIO)
            and str(reader.length) == environ.get("CONTENT_LENGTH", "").strip()):
        return SocketBody(sock, reader, unreader)
    return request.stream               # not the untouched gunicorn body we know how to take over


def _empty(buffer) -> bool:
    return isinstance(buffer, io.BytesIO) and not buffer.getvalue()
