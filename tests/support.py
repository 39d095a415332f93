"""What the graded tests share: service checks, the cluster fixture, an HTTP client, RabbitMQ pokes.

Tests run the real server processes (``scripts.cluster``) against the real RabbitMQ and
Elasticsearch that ``scripts/services.sh start`` brings up; when a service is missing they fail
with a message that says how to start it.
"""
import http.client
import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlparse

import pika
import pytest
import requests

from scripts.cluster import DEFAULT_ROOT, Cluster

REPO = Path(__file__).resolve().parent.parent
SERVICES = REPO / "scripts" / "services.sh"
RABBITMQ = os.environ.get("RABBITMQ_SERVER", "amqp://guest:guest@127.0.0.1:5672/")
ES = os.environ.get("ES_SERVER", "127.0.0.1:9200")
# short times, so that tests need not wait for the defaults (interfaces.md)
FAST = {"HEARTBEAT_INTERVAL": "0.2", "HEARTBEAT_EXPIRY": "3", "LOCATE_TIMEOUT": "0.5", "READ_TIMEOUT": "5",
        "RABBITMQ_SERVER": RABBITMQ, "ES_SERVER": ES}
HOW_TO_START = "start the services with `bash scripts/services.sh start` (see README)"


def require_rabbitmq() -> None:
    """Fail (not skip) when RabbitMQ does not answer."""
    url = urlparse(RABBITMQ)
    if not _port_open(url.hostname or "127.0.0.1", url.port or 5672):
        pytest.fail(f"RabbitMQ does not answer at {RABBITMQ}: {HOW_TO_START}", pytrace=False)


def es_url() -> str:
    return ES if ES.startswith("http") else f"http://{ES}"


def require_es() -> None:
    """Fail (not skip) when Elasticsearch does not answer."""
    try:
        requests.get(f"{es_url()}/_cluster/health", timeout=3).raise_for_status()
    except requests.RequestException as error:
        pytest.fail(f"Elasticsearch does not answer at {ES} ({error}): {HOW_TO_START}", pytrace=False)


def start_cluster(chapter: int, root: Path | None = None, port: int | None = None, **env) -> Cluster:
    """A fresh cluster of ``chapter`` under CLUSTER_ROOT (default /tmp/osd), storage wiped."""
    root = root or Path(os.environ.get("CLUSTER_ROOT", DEFAULT_ROOT))
    if (root / "cluster.json").exists():
        old = Cluster.load(root)
        if any(p.running() for p in old.processes):
            pytest.fail(f"a cluster is already running under {root}: stop it with "
                        f"`python -m scripts.cluster down` before running the tests", pytrace=False)
    subprocess.run(["rm", "-rf", str(root)], check=True)
    cluster = Cluster(chapter, root, {**FAST, **env}, port=port or int(os.environ.get("CLUSTER_PORT", "12345")))
    try:
        cluster.up(timeout=60)
    except RuntimeError as error:
        cluster.down()
        pytest.fail(str(error), pytrace=False)
    return cluster


class ObjectClient:
    """HTTP calls on one server's ``/objects/``; later chapters override ``put`` (e.g. a Digest)."""

    def __init__(self, address: str):
        self.base = f"http://{address}"

    def url(self, name: str, resource: str = "objects") -> str:
        return f"{self.base}/{resource}/{quote(name, safe='')}"

    def headers_for(self, data: bytes) -> dict:
        """Headers a PUT of ``data`` needs (chapter 3 adds the Digest)."""
        return {}

    def stored_name(self, name: str, data: bytes) -> str:
        """The file name the data servers keep ``data`` under (chapter 3: its hash)."""
        return name

    def put(self, name: str, data, headers=None, **kwargs) -> requests.Response:
        """PUT ``data``; bytes get the chapter's headers, other bodies must bring their own."""
        headers = {**(self.headers_for(data) if isinstance(data, bytes) else {}), **(headers or {})}
        return requests.put(self.url(name), data=data, headers=headers, timeout=60, **kwargs)

    def put_chunked(self, name: str, data: bytes, chunk: int = 65536) -> requests.Response:
        """PUT ``data`` with chunked transfer encoding (no Content-Length)."""
        pieces = (data[i:i + chunk] for i in range(0, len(data), chunk))
        return self.put(name, pieces, headers=self.headers_for(data))

    def get(self, name: str, headers=None, **kwargs) -> requests.Response:
        return requests.get(self.url(name), headers=headers or {}, timeout=60, **kwargs)

    def raw(self, method: str, path: str, **kwargs) -> requests.Response:
        """A request on a raw (already encoded) path, sent exactly as written."""
        session = requests.Session()
        data = kwargs.pop("data", None)
        headers = self.headers_for(data) if isinstance(data, bytes) else {}
        request = requests.Request(method, self.base + "/", headers=headers).prepare()
        request.url = self.base + path
        request.prepare_body(data, None)
        return session.send(request, timeout=30, **kwargs)


def slow_put(client: "ObjectClient", name: str, data: bytes, pause: float) -> int:
    """PUT ``data`` with its Content-Length: the first half at once, then a byte a second for
    ``pause`` seconds (a client on a slow line, never silent for READ_TIMEOUT), then the rest;
    returns the status."""
    host, _, port = client.base[len("http://"):].rpartition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        connection.putrequest("PUT", client.url(name)[len(client.base):])
        for header, value in {**client.headers_for(data), "Content-Length": str(len(data))}.items():
            connection.putheader(header, value)
        connection.endheaders()
        sent = len(data) // 2
        connection.send(data[:sent])
        deadline = time.monotonic() + pause
        while time.monotonic() < deadline and sent < len(data) - 1:
            time.sleep(min(1.0, max(deadline - time.monotonic(), 0)))
            connection.send(data[sent:sent + 1])
            sent += 1
        connection.send(data[sent:])
        return connection.getresponse().status
    finally:
        connection.close()


def curl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run curl as a student would."""
    return subprocess.run(["curl", "-sS", *args], capture_output=True, timeout=120, check=check)


def publish_raw(exchange: str, body: bytes, **properties) -> None:
    """Put any bytes on an exchange, as a buggy or hostile client could."""
    connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ))
    try:
        connection.channel().basic_publish(exchange, "", body, pika.BasicProperties(**properties))
    finally:
        connection.close()


def flood(exchange: str, body: bytes, count: int, **properties) -> float:
    """Publish ``body`` ``count`` times on one channel, as fast as possible; returns the seconds taken."""
    connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ))
    started = time.monotonic()
    try:
        channel = connection.channel()
        props = pika.BasicProperties(**properties)
        for _ in range(count):
            channel.basic_publish(exchange, "", body, props)
    finally:
        connection.close()
    return time.monotonic() - started


class BrokerTap:
    """A thread on the broker with a queue of its own bound to ``exchange`` (``routing_key``), which
    hands each message to ``take(channel, method, properties, body)``; use it as a context manager."""
    exchange, routing_key = "", ""

    def __init__(self):
        self.stopping, self.ready = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.thread.start()
        assert self.ready.wait(10), f"could not bind to {self.exchange}"
        return self

    def __exit__(self, *exc_info):
        self.stopping.set()
        self.thread.join(10)

    def take(self, channel, method, properties, body: bytes) -> None:
        raise NotImplementedError

    def declare(self, channel) -> None:
        """Declare the exchange first, if need be."""

    def _run(self):
        connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ))
        channel = connection.channel()
        self.declare(channel)
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(queue, self.exchange, routing_key=self.routing_key or None)
        channel.basic_consume(queue, lambda _c, method, props, body: self.take(channel, method, props, body),
                              auto_ack=True)
        self.ready.set()
        while not self.stopping.is_set():
            connection.process_data_events(time_limit=0.1)
        connection.close()


class LocateSpy(BrokerTap):
    """A process on the broker that answers every locate request with ``reply(request body)``,
    as a spoofer with broker access could; use it as a context manager."""
    exchange = "dataServers"

    def __init__(self, reply):
        super().__init__()
        self.reply, self.answered = reply, 0

    def take(self, channel, _method, props, body):
        for reply in self.reply(json.loads(body)):
            channel.basic_publish("", props.reply_to, json.dumps(reply).encode(),
                                  pika.BasicProperties(correlation_id=props.correlation_id))
        self.answered += 1


def ensure_vhost(vhost: str) -> str:
    """``RABBITMQ``'s URL for vhost ``vhost`` (created, with guest's permissions, unless it exists):
    a second cluster on the same broker then hears only its own servers."""
    listed = subprocess.run(["bash", str(SERVICES), "rabbitmqctl", "list_vhosts", "--quiet"], capture_output=True,
                            text=True, timeout=60, check=True).stdout.split()
    if vhost not in listed:
        services("rabbitmqctl", "add_vhost", vhost)
        services("rabbitmqctl", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    return RABBITMQ.rstrip("/") + "/" + vhost


def rabbitmq_queues() -> list[str]:
    """The names of the queues on the broker's default vhost."""
    out = subprocess.run(["bash", str(SERVICES), "rabbitmqctl", "list_queues", "-q", "--no-table-headers", "name"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def services(*args: str) -> None:
    """Run ``scripts/services.sh`` (used to restart RabbitMQ or pause Elasticsearch)."""
    subprocess.run(["bash", str(SERVICES), *args], check=True, timeout=180)


def wait_until(predicate, timeout: float = 15, interval: float = 0.1, what: str = "condition"):
    """Poll ``predicate`` until it returns a true value, or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def health(address: str) -> dict:
    return requests.get(f"http://{address}/healthz", timeout=5).json()


def error_code(response: requests.Response) -> str:
    """The ``error`` field of a JSON error body."""
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:200]
    return json.loads(response.content)["error"]


def _port_open(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False


def chapter_fixtures(start, client_class=ObjectClient, cleanup=None):
    """The ``cluster``, ``front`` and ``client`` fixtures of a chapter's conftest.

    ``start()`` brings up the chapter's cluster; ``front`` is the first api server (chapter 1: the
    only server); ``cleanup()`` runs after the cluster is down.
    """
    @pytest.fixture(scope="package")
    def cluster():
        running = start()
        yield running
        running.down()
        if cleanup:
            cleanup()

    @pytest.fixture(scope="package")
    def front(cluster):
        return (cluster.api_servers or cluster.data_servers)[0].address

    @pytest.fixture(scope="package")
    def client(front):
        return client_class(front)

    return cluster, front, client
