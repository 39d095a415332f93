"""Every request a final/ server answers: its id, its access-log line, its metrics; and /metrics.

``Observed`` is WSGI middleware, outermost: it gives each request an id (the client's
``X-Request-Id`` when sane, else a new one), answers it in ``X-Request-Id`` and sets it as the
``HOP_HEADERS`` of chapter 2's streams, so every hop to a data server carries it and the data
server's own line names the same id. When the answer has been sent (its ``close``), one INFO line
goes to ``final.ops.access`` and the request metrics move. The route label is the Flask url rule
(``/objects/``), the S3 operation the gateway named, or ``unmatched``: never the path itself.
"""
import logging
import re
import secrets
import time

from flask import request

from chapter01_single.serve import GUNICORN
from chapter02_distributed.common.objectstream import HOP_HEADERS
from final.ops import metrics
from final.ops.logs import REQUEST_ID, GunicornLogger
from final.s3 import operations

REQUEST_ID_KEY = operations.REQUEST_ID      # WSGI environ: this request's id (the S3 gateway answers it too)
OPERATION_KEY = operations.OPERATION         # WSGI environ: the S3 operation the gateway named
RULE_KEY = "final.url_rule"                  # WSGI environ: the Flask url rule that matched
SANE = re.compile(r"[A-Za-z0-9._-]{1,64}\Z")
METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"})
METRICS_PATH = "/metrics"

log = logging.getLogger("final.ops.access")


def install(app, collectors=()) -> None:
    """Put ``Observed`` in front of ``app`` (``collectors``: this app's scrape-time metrics)."""
    app.wsgi_app = Observed(app.wsgi_app, app.url_map, metrics.Scraped(collectors))
    app.url_value_preprocessor(_note_rule)      # runs once the url is matched, before any before_request
    metrics.watch_elasticsearch()
    if app.config.get("LOG_FORMAT") == "json":
        app.extensions[GUNICORN] = {"logger_class": GunicornLogger}


def request_id(given: str | None) -> str:
    """``given`` when it is 1-64 of ``[A-Za-z0-9._-]``; otherwise a new id (16 hex digits, as S3's)."""
    return given if given and SANE.match(given) else secrets.token_hex(8).upper()


class Observed:
    """WSGI middleware: request ids, the access log, request metrics, and ``GET /metrics``."""

    def __init__(self, app, url_map, scrape):
        self.app, self.url_map, self.scrape = app, url_map, scrape
        self._prefixes = None

    def __call__(self, environ, start_response):
        exchange = Exchange(environ, self)
        try:
            if environ.get("PATH_INFO") == METRICS_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
                environ[OPERATION_KEY] = METRICS_PATH
                body = self.scrape(environ, exchange.start_response(start_response))
            else:
                body = self.app(environ, exchange.start_response(start_response))
        except BaseException:
            exchange.finish()
            raise
        return exchange.follow(body)

    def route(self, environ) -> str:
        """The request's bounded label: S3 operation, url rule up to its first variable, or a prefix."""
        label = environ.get(OPERATION_KEY)
        if label:
            return label
        rule = environ.get(RULE_KEY)
        if rule is not None:
            return rule.split("<", 1)[0]
        path = environ.get("PATH_INFO", "")              # answered before Flask (the data server's FastPath)
        if self._prefixes is None:
            self._prefixes = sorted({r.rule.split("<", 1)[0] for r in self.url_map.iter_rules()
                                     if r.rule.endswith("/") or "<" in r.rule}, key=len, reverse=True)
        return next((prefix for prefix in self._prefixes if prefix != "/" and path.startswith(prefix)), "unmatched")


def _note_rule(_endpoint, _values) -> None:
    if request.url_rule is not None:
        request.environ[RULE_KEY] = request.url_rule.rule


class Exchange:
    """One request on its way: its id set while it is served, what it answered, when it started."""

    def __init__(self, environ, observed: Observed):
        self.environ, self.observed, self.started = environ, observed, time.perf_counter()
        self.id = environ[REQUEST_ID_KEY] = request_id(environ.get("HTTP_X_REQUEST_ID"))
        self.tokens = (REQUEST_ID.set(self.id), HOP_HEADERS.set({"X-Request-Id": self.id}))
        self.status, self.length, self.sent, self.done = 500, None, 0, False
        self.received = _declared(environ)
        if self.received is None:                        # chunked: counted as it is read
            environ["wsgi.input"] = self.input = CountedInput(environ["wsgi.input"])

    def start_response(self, start_response):
        def start(status: str, headers: list, exc_info=None):
            self.status = int(status[:3])
            self.length = next((v for k, v in headers if k.lower() == "content-length"), None)
            headers.append(("X-Request-Id", self.id))
            return start_response(status, headers, exc_info)
        return start

    def follow(self, body):
        """``body``, which ends the exchange when closed. A ``wsgi.file_wrapper`` is kept as it is
        (gunicorn sends it with sendfile): its ``close`` is wrapped instead."""
        wrapper = self.environ.get("wsgi.file_wrapper")
        if wrapper is not None and isinstance(body, wrapper):
            close = getattr(body, "close", None)
            body.close = lambda: self.finish(close)
            return body
        return Followed(body, self)

    def finish(self, close=None) -> None:
        """Close the body (if any), then log and count the request, once."""
        try:
            if close is not None:
                close()
        finally:
            if not self.done:
                self.done = True
                self._record()
                self._forget()

    def _record(self) -> None:
        environ = self.environ
        method = environ.get("REQUEST_METHOD", "")
        method = method if method in METHODS else "OTHER"
        route, seconds = self.observed.route(environ), time.perf_counter() - self.started
        received = self.received if self.received is not None else self.input.count
        sent = 0 if method == "HEAD" else int(self.length) if self.length and self.length.isdigit() else self.sent
        count, duration, received_bytes, sent_bytes = _series(route, method, self.status)
        count.inc()
        duration.observe(seconds)
        received_bytes.inc(received)
        sent_bytes.inc(sent)
        if log.isEnabledFor(logging.INFO):     # made by hand: Logger.info would look for its caller's frame
            path = environ.get("PATH_INFO", "")[:256]
            log.handle(log.makeRecord(
                log.name, logging.INFO, __file__, 0, "%s %s %d %.1f ms in=%d out=%d (%s)",
                (method, path, self.status, seconds * 1000, received, sent, route), None,
                extra={"request_id": self.id, "method": method, "path": path, "route": route, "status": self.status,
                       "bytes_in": received, "bytes_out": sent, "duration_ms": round(seconds * 1000, 3)}))

    def _forget(self) -> None:
        for variable, token in zip((REQUEST_ID, HOP_HEADERS), self.tokens):
            try:
                variable.reset(token)
            except ValueError:                  # ended in another context than it began: clear it there
                variable.set(None)


class Followed:
    """A response body that counts what it sends (when no Content-Length says it) and ends the exchange."""

    def __init__(self, body, exchange: Exchange):
        self.body, self.exchange = body, exchange

    def __iter__(self):
        if self.exchange.length is not None:
            return iter(self.body)
        return self._counted()

    def _counted(self):
        for chunk in self.body:
            self.exchange.sent += len(chunk)
            yield chunk

    def close(self) -> None:
        self.exchange.finish(getattr(self.body, "close", None))


class CountedInput:
    """A request body without Content-Length (chunked), counting the bytes read from it."""

    def __init__(self, stream):
        self.stream, self.count = stream, 0

    def read(self, size: int = -1) -> bytes:
        return self._counted(self.stream.read(size))

    def readline(self, size: int = -1) -> bytes:
        return self._counted(self.stream.readline(size))

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def __getattr__(self, name):
        return getattr(self.stream, name)

    def _counted(self, data: bytes) -> bytes:
        self.count += len(data)
        return data


_known: dict[tuple, tuple] = {}


def _series(route: str, method: str, status: int) -> tuple:
    """The four metric children of a (route, method, status), looked up once (``labels`` takes a lock)."""
    series = _known.get((route, method, status))
    if series is None:
        series = _known[route, method, status] = (
            metrics.REQUESTS.labels(route, method, str(status)), metrics.DURATION.labels(route, method),
            metrics.RECEIVED.labels(route), metrics.SENT.labels(route))
    return series


def _declared(environ) -> int | None:
    """The request body's Content-Length; 0 without a body; None for a chunked one."""
    length = environ.get("CONTENT_LENGTH", "")
    if length.isdigit():
        return int(length)
    return None if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower() else 0
