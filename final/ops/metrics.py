"""Prometheus metrics of final/'s servers (``GET /metrics``, prometheus_client's text format).

Counters and histograms live in the default registry (gunicorn runs one worker process); what is
read off a server's parts at scrape time (live data servers, container bytes) is a collector of
that app's own registry, so two apps in one process (tests) do not collide. Parts are measured by
small mixins the composition roots put in front of their classes (``measured``); Elasticsearch
calls are counted from the records its clients log for every request (``watch_elasticsearch``).
"""
import logging
import re
import time
from functools import cache

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, \
    disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily

disable_created_metrics()        # no *_created series: half the lines of a scrape, no use here

SECONDS = (.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30)
REQUESTS = Counter("objstore_http_requests", "HTTP requests answered", ("route", "method", "status"))
DURATION = Histogram("objstore_http_request_duration_seconds", "Time from a request's start to the end of its "
                     "answer", ("route", "method"), buckets=SECONDS)
RECEIVED = Counter("objstore_http_received_bytes", "Request body bytes received", ("route",))
SENT = Counter("objstore_http_sent_bytes", "Response body bytes sent", ("route",))
LOCATES = Histogram("objstore_locate_duration_seconds", "Locates (RabbitMQ) and how long each took", buckets=SECONDS)
LOCATE_MISSES = Counter("objstore_locate_misses", "Locates that found nothing")
ELASTICSEARCH = Histogram("objstore_elasticsearch_request_duration_seconds", "Requests to Elasticsearch, by "
                          "client (official: elasticsearch-py; lean: final/'s http.client calls)", ("client",),
                          buckets=SECONDS)
ELASTICSEARCH_ERRORS = Counter("objstore_elasticsearch_errors", "Elasticsearch requests that failed or answered "
                               "5xx", ("client",))
SHARDS_REPAIRED = Counter("objstore_shards_repaired", "Shards a GET found missing or damaged and rewrote")
HEARTBEATS = Counter("objstore_heartbeats_received", "Data servers' heartbeats heard")
COMPACTIONS = Counter("objstore_compactions", "Containers compacted")
OFFICIAL = "elastic_transport.transport"       # elasticsearch-py logs each request there, at INFO
LEAN = "final.containers.elasticsearch"        # final's lean calls, at DEBUG (containers.metadata.CALLS)
_LOGGED = re.compile(r"\[status:(\S+) duration:([0-9.]+)s\]$")


class TimedLocate:
    """A locator whose every ``locate`` is timed, and counted as a miss when it finds nothing."""

    def locate(self, name: str, *args, **kwargs):
        started = time.perf_counter()
        found = super().locate(name, *args, **kwargs)
        LOCATES.observe(time.perf_counter() - started)
        if not found:
            LOCATE_MISSES.inc()
        return found


class CountedBeats:
    """A list of live servers that counts the heartbeats it hears."""

    def beat(self, address: str) -> None:
        HEARTBEATS.inc()
        super().beat(address)


class CountedCompactions:
    """A compactor that counts the containers it compacted."""

    def compact_now(self) -> list:
        done = super().compact_now()
        COMPACTIONS.inc(len(done))
        return done


@cache
def measured(base: type, mixin: type) -> type:
    """``base`` with ``mixin`` in front (one class per pair)."""
    return type(base.__name__, (mixin, base), {"__doc__": f"{base.__doc__} (measured: {mixin.__name__})"})


def live_servers(servers) -> "Collected":
    """The gauge of how many data servers ``servers`` (chapter 2's ``DataServers``) has heard lately."""
    return Collected(lambda: [GaugeMetricFamily("objstore_live_data_servers", "Data servers heard within "
                                                "HEARTBEAT_EXPIRY", value=len(servers.live()))])


def containers(store) -> "Collected":
    """Gauges of a data server's containers, read from ``store.stats()`` when scraped."""
    def read():
        stats = store.stats()
        size = GaugeMetricFamily("objstore_container_bytes", "Bytes of container files, live or dead",
                                 labels=("state",))
        size.add_metric(("live",), stats.live_bytes)
        size.add_metric(("dead",), stats.dead_bytes)
        return [size, GaugeMetricFamily("objstore_containers", "Container files", value=stats.containers),
                GaugeMetricFamily("objstore_container_records", "Objects kept in containers", value=stats.records)]
    return Collected(read)


class Collected:
    """A collector whose metrics ``read()`` makes at scrape time."""

    def __init__(self, read):
        self.read = read

    def collect(self):
        return self.read()


class Scraped:
    """What ``GET /metrics`` answers: the default registry, then ``collectors`` (this app's)."""

    def __init__(self, collectors=()):
        self.own = CollectorRegistry(auto_describe=False)
        for collector in collectors:
            self.own.register(collector)

    def collect(self):
        yield from REGISTRY.collect()
        yield from self.own.collect()

    def __call__(self, environ, start_response) -> list[bytes]:
        """The WSGI answer of a scrape."""
        body = generate_latest(self)
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(body)))])
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


def watch_elasticsearch() -> None:
    """Count every Elasticsearch request of this process from the record its client logs for it
    (the records are dropped there: one a request would flood the log). Idempotent."""
    for name, level, observe in ((OFFICIAL, logging.INFO, _official), (LEAN, logging.DEBUG, _lean)):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        if not any(isinstance(f, _Calls) for f in logger.filters):
            logger.addFilter(_Calls(level, observe))


class _Calls(logging.Filter):
    """Turns the per-request records of one Elasticsearch client into metrics; others pass."""

    def __init__(self, level: int, observe):
        super().__init__()
        self.level, self.observe = level, observe

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno != self.level or not self.observe(record)


def _official(record: logging.LogRecord) -> bool:
    found = _LOGGED.search(record.msg) if isinstance(record.msg, str) else None
    if found is None:
        return False
    _observe("official", found[1], float(found[2]))
    return True


def _lean(record: logging.LogRecord) -> bool:
    if not isinstance(record.args, tuple) or len(record.args) != 4:
        return False
    _observe("lean", str(record.args[2]), record.args[3])
    return True


def _observe(client: str, status: str, seconds: float) -> None:
    ELASTICSEARCH.labels(client).observe(seconds)
    if not status.isdigit() or int(status) >= 500:
        ELASTICSEARCH_ERRORS.labels(client).inc()
