"""HTTP streams between api and data servers (book §3.2, fixed per D18).

Every request has a connect and a read timeout and every response is closed; a data server that
cannot be reached or fails answers ``DataServerError`` (502), never a hang. Each thread keeps its
own pooled ``requests.Session``. A body whose length is known goes with a ``Content-Length``
(``SizedBody``) rather than chunked: the receiving gunicorn reads it with less work.
``HOP_HEADERS`` are headers every hop adds, set per request by a later server (final/: its request
id); ``HopPool`` is a thread pool whose tasks see them too.
"""
import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable, Iterator
from urllib.parse import quote

import requests

from chapter01_single.errors import BadRequest, ObjectNotFound, StorageError  # unchanged since chapter 1

TIMEOUT = (3, 30)    # seconds to connect, seconds of silence while reading
CHUNK = 4 << 20      # relay chunk: fewer, larger socket writes are cheaper in Python

_local = threading.local()
HOP_HEADERS: contextvars.ContextVar[dict | None] = contextvars.ContextVar("hop_headers", default=None)


class DataServerError(StorageError):
    """A data server failed or could not be reached."""
    status, code = 502, "BadGateway"


class BodyLengthMismatch(BadRequest):
    """A body did not have the length announced for it."""
    code = "IncompleteBody"


class SizedBody:
    """Chunks of a body of known length: requests sends it with that Content-Length.

    A body that turns out shorter or longer raises while it is sent, which cuts the request, so
    the receiver never waits for bytes that will not come nor keeps a wrong body.
    """

    def __init__(self, chunks: Iterable[bytes], length: int):
        self.chunks, self.length = chunks, length

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        for chunk in self.chunks:
            sent += len(chunk)
            if sent > self.length:
                break
            yield chunk
        if sent != self.length:
            raise BodyLengthMismatch(f"the body is {'longer' if sent > self.length else 'shorter'} "
                                     f"than the {self.length} bytes announced")


def sized(chunks: Iterable[bytes], length: int | None) -> Iterable[bytes]:
    """The body to send for ``chunks`` of ``length`` bytes (None: unknown, sent chunked).

    An empty body stays a plain iterable: requests sends a sized empty body without iterating it,
    and the chunks must still run to their end (they may be verifying a digest).
    """
    return SizedBody(chunks, length) if length else chunks


class HopPool(ThreadPoolExecutor):
    """A thread pool whose tasks run in the context of the thread that submitted them (contextvars
    do not flow into a pool's threads by themselves), so their hops carry its ``HOP_HEADERS``."""

    def submit(self, fn, /, *args, **kwargs):
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


def with_hop_headers(headers: dict | None) -> dict | None:
    """``headers`` plus this request's ``HOP_HEADERS`` (the caller's own win)."""
    extra = HOP_HEADERS.get()
    return {**extra, **headers} if extra and headers else extra or headers


def session() -> requests.Session:
    """This thread's pooled HTTP session (no proxy or netrc look-ups: every hop is ours)."""
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
        _local.session.trust_env = False
    return _local.session


def path(resource: str, name: str) -> str:
    """``/<resource>/<name>`` with the name percent-encoded."""
    return f"/{resource}/{quote(name, safe='')}"


def url(server: str, resource: str, name: str) -> str:
    """``http://<server>/<resource>/<name>`` with the name percent-encoded."""
    return f"http://{server}{path(resource, name)}"


def request(method: str, target: str, **kwargs) -> requests.Response:
    """One request with the default timeout; transport errors become ``DataServerError``. Redirects
    are never followed: a data server (or something posing as one) cannot send the api elsewhere."""
    kwargs.setdefault("timeout", TIMEOUT)
    kwargs["allow_redirects"] = False
    kwargs["headers"] = with_hop_headers(kwargs.get("headers"))
    try:
        return session().request(method, target, **kwargs)
    except requests.RequestException as error:
        raise DataServerError(f"{method} {target}: {error.__class__.__name__}") from None


def put_stream(server: str, name: str, chunks: Iterable[bytes], size: int | None = None) -> None:
    """Stream ``chunks`` (``size`` bytes, if known) as ``PUT /objects/<name>`` on ``server``; 200 or an error."""
    response = request("PUT", url(server, "objects", name), data=sized(chunks, size))
    response.close()
    if response.status_code != 200:
        raise DataServerError(f"{server} answered {response.status_code} to PUT {name!r}")


def get_stream(server: str, name: str) -> requests.Response:
    """An open streaming ``GET /objects/<name>`` from ``server`` (close it, or read it to the end)."""
    response = request("GET", url(server, "objects", name), stream=True)
    if response.status_code == 200:
        return response
    response.close()
    if response.status_code == 404:
        raise ObjectNotFound(f"object {name!r} not found on {server}")
    raise DataServerError(f"{server} answered {response.status_code} to GET {name!r}")


def iter_body(response: requests.Response, size: int = CHUNK) -> Iterator[bytes]:
    """The body of ``response`` in chunks; the response is closed at the end or on error."""
    try:
        yield from response.raw.stream(size, decode_content=False)
    except Exception as error:   # urllib3 errors are not RequestException
        raise DataServerError(f"reading from a data server failed: {error!r}") from None
    finally:
        response.close()
