"""Chapter 2 (book §4.2): api and data servers, heartbeats and locate over RabbitMQ.

Chapter 1's contract is re-checked through the api server (inherited classes); the data-server
contract (PUT/GET straight to a data server) is checked by the same classes on a data server.
"""
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pika
import pytest
import requests

from tests import walkthrough
from tests.chapter01 import test_chapter01 as chapter1
from tests.support import (FAST, RABBITMQ, LocateSpy, ObjectClient, error_code, flood, health, publish_raw,
                           rabbitmq_queues, services, wait_until)

README = Path(__file__).resolve().parents[2] / "chapter02_distributed" / "README.md"


class TestObjects(chapter1.TestObjects):
    """Chapter 1's object contract, through the api server."""

    def test_second_put_replaces_the_content(self, client):
        """Book §4.2 changes chapter 1's contract: each PUT lands on a random data server, so an
        older copy may survive elsewhere and either may be served; chapter 3's versions fix it."""
        client.put("t2-replaced", b"first")
        client.put("t2-replaced", b"second, longer")
        assert client.get("t2-replaced").content in (b"first", b"second, longer")

    def test_healthz_lists_the_six_live_data_servers(self, cluster, front):
        assert health(front)["data_servers"] == sorted(p.address for p in cluster.data_servers)


class TestStreaming(chapter1.TestStreaming):
    """Bodies stream through the api hop both ways (a GET is spliced from socket to socket)."""

    def test_head_sends_no_body_and_the_connection_stays_usable(self, client):
        data = os.urandom(3 << 20)
        client.put("t2-head", data)
        with requests.Session() as session:
            session.headers["Accept-Encoding"] = "identity"     # chapter 7 gzips for clients that accept it
            head = session.head(client.url("t2-head"), timeout=10)
            assert head.status_code == 200 and head.headers["Content-Length"] == str(len(data))
            assert session.get(client.url("t2-head"), timeout=10).content == data   # same connection

    def test_a_client_that_hangs_up_mid_download_leaves_the_api_serving(self, client, front):
        data = os.urandom(1 << 20) * 32
        client.put("t2-leaves", data)
        host, port = front.split(":")
        for _ in range(3):
            with socket.create_connection((host, int(port)), timeout=10) as sock:
                sock.sendall(f"GET {client.url('t2-leaves')[len(client.base):]} HTTP/1.1\r\nHost: {front}\r\n\r\n".encode())
                assert sock.recv(65536)
        assert hashlib.sha256(client.get("t2-leaves").content).digest() == hashlib.sha256(data).digest()


class TestNames(chapter1.TestNames):
    """The same name rules at the api server."""


class TestDataServerDirectly(chapter1.TestObjects):
    """A data server keeps chapter 1's contract on its own."""

    @pytest.fixture
    def client(self, cluster):
        return ObjectClient(cluster.data_servers[0].address)

    @pytest.fixture
    def front(self, cluster):
        return cluster.data_servers[0].address


class TestLocate:
    """Objects are found over RabbitMQ, by any api server."""

    def test_object_is_stored_on_exactly_one_data_server(self, client, cluster):
        client.put("t2-one-copy", b"where am I")
        assert len(holders(cluster, client.stored_name("t2-one-copy", b"where am I"))) == 1

    def test_locate_returns_the_address_of_the_holder(self, client, cluster):
        client.put("t2-locate", b"locate me")
        stored = client.stored_name("t2-locate", b"locate me")
        response = requests.get(client.url(stored, "locate"), timeout=10)
        assert response.status_code == 200 and response.json() == holders(cluster, stored)[0].address

    def test_locate_of_unknown_name_is_404_within_the_locate_timeout(self, client):
        started = time.monotonic()
        nowhere = client.stored_name("t2-nowhere", b"never stored anywhere")
        assert requests.get(client.url(nowhere, "locate"), timeout=10).status_code == 404
        assert time.monotonic() - started < 0.5 + 1.5     # LOCATE_TIMEOUT is 0.5 s; slack for a busy machine

    def test_two_api_servers_see_the_same_objects(self, client, cluster):
        one, two = (type(client)(p.address) for p in cluster.api_servers)
        assert one.put("t2-shared", b"seen by both").status_code == 200
        assert two.get("t2-shared").content == b"seen by both"

    def test_locate_of_a_hostile_name_answers_400(self, client):
        assert client.raw("GET", "/locate/..%2F..%2Fetc%2Fpasswd").status_code == 400


class TestMembership:
    """Heartbeats: a stopped data server expires and is no longer chosen; it comes back."""

    def test_stopped_data_server_expires_its_objects_404_and_return_with_it(self, client, cluster, front):
        client.put("t2-member", b"follow me")
        holder = holders(cluster, client.stored_name("t2-member", b"follow me"))[0]
        cluster.stop(holder)
        try:
            wait_until(lambda: holder.address not in health(front)["data_servers"], 10, what="expiry")
            assert client.get("t2-member").status_code == 404
            for i in range(20):     # never chosen while it is gone
                assert client.put(f"t2-while-away-{i}", b"away %d" % i).status_code == 200
                assert holder not in holders(cluster, client.stored_name(f"t2-while-away-{i}", b"away %d" % i))
        finally:
            cluster.up()
        assert client.get("t2-member").content == b"follow me"

    def test_no_live_data_server_answers_503_json(self, tmp_path):
        address = "127.0.2.9:12345"
        env = {**os.environ, "LISTEN_ADDRESS": address, "RABBITMQ_SERVER": "amqp://guest:guest@127.0.0.1:1/",
               "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        lonely = subprocess.Popen([sys.executable, "-m", "chapter02_distributed.api_server"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: _answers(address), 20, what="the lonely api server")
            lone = ObjectClient(address)
            put = lone.put("t2-nowhere", b"x")
            assert put.status_code == 503 and error_code(put) in ("ServiceUnavailable",)
            started = time.monotonic()
            get = lone.get("t2-nowhere")
            assert get.status_code == 503 and time.monotonic() - started < 3
        finally:
            lonely.terminate()
            lonely.wait(10)

    def test_data_server_killed_mid_download_fails_the_response_without_hanging(self, client, cluster):
        data = os.urandom(1 << 20) * 64
        client.put("t2-killed", data)
        holder = holders(cluster, client.stored_name("t2-killed", data))[0]
        try:
            response = client.get("t2-killed", stream=True)
            assert response.status_code == 200
            received = len(next(response.iter_content(1 << 16)))
            os.killpg(holder.pid, signal.SIGKILL)    # gunicorn's master and its worker
            started = time.monotonic()
            with pytest.raises(requests.RequestException):
                for chunk in response.iter_content(1 << 20):
                    received += len(chunk)
            assert time.monotonic() - started < 35 and received < len(data)
        finally:
            cluster.up()


class TestMessaging:
    """RabbitMQ: bad messages are dropped, restarts are survived, no queue is leaked."""
    API_QUEUES = 1          # queues an api server owns (final/'s also read its peers' beats and the event feed)
    SHARED_QUEUES = ()      # durable queues no one server owns, not counted (final/: the notifier's inbox)

    def test_malformed_messages_on_both_exchanges_crash_nothing(self, client, cluster, front):
        for exchange in ("apiServers", "dataServers"):
            for body in (b"\xff\xfe not json", b"{}", b"[1,2]", b'"no-port"', b"null", b'"' + b"a" * 5000 + b'"'):
                publish_raw(exchange, body, reply_to="amq.nowhere")
            publish_raw(exchange, b'"t2-no-reply-to"')
        time.sleep(0.5)
        assert all(p.running() for p in cluster.processes)
        client.put("t2-after-garbage", b"still fine")
        assert client.get("t2-after-garbage").content == b"still fine"
        assert health(front)["data_servers"] == sorted(p.address for p in cluster.data_servers)

    def test_servers_recover_after_rabbitmq_restarts(self, client, cluster, front):
        client.put("t2-before-restart", b"before")
        services("restart-rabbitmq")
        time.sleep(float(FAST["HEARTBEAT_EXPIRY"]) + 0.5)      # what the api knew before has expired
        want = sorted(p.address for p in cluster.data_servers)
        for api in cluster.api_servers:
            wait_until(lambda: health(api.address)["data_servers"] == want, 30, what="heartbeats after restart")
        wait_until(lambda: client.get("t2-before-restart").status_code == 200, 15, what="locate after restart")
        assert client.put("t2-after-restart", b"after").status_code == 200
        assert client.get("t2-after-restart").content == b"after"

    def test_stopping_a_server_leaves_no_queue_behind(self, cluster):
        before = set(rabbitmq_queues())
        server = cluster.data_servers[-1]
        cluster.stop(server)
        try:
            wait_until(lambda: len(set(rabbitmq_queues())) < len(before), 15, what="its queue to go")
            assert set(rabbitmq_queues()) < before
        finally:
            cluster.up()
        # every running server owns its queues: a data server 1 (locate), an api server 1 (heartbeats;
        # its locate replies come on RabbitMQ's direct reply-to, which is no queue)
        owned = [name for name in rabbitmq_queues() if name not in self.SHARED_QUEUES]
        assert len(owned) == len(cluster.data_servers) + self.API_QUEUES * len(cluster.api_servers)

    def test_a_heartbeat_that_is_more_than_host_and_port_is_ignored(self, front):
        for forged in ("127.0.0.1:1/INJECTED?q=:80", "user@127.0.0.1:80", "127.0.0.1:80 x", "[::1:80", "a..b:80"):
            publish_raw("apiServers", json.dumps(forged).encode())
        time.sleep(0.5)
        assert all(":" in a and "/" not in a and "@" not in a for a in health(front)["data_servers"])
        assert len(health(front)["data_servers"]) == 6

    def test_deeply_nested_json_is_dropped_without_restarting_a_listener(self, client, cluster, front):
        """RecursionError got past the parse guard and restarted the listener (its queue name
        changed); a stream of them kept GETs at 503."""
        client.put("t2-nested", b"nested")
        queues = set(rabbitmq_queues())
        for depth in (3000, 100000):
            body = b"[" * depth + b"]" * depth
            for exchange in ("apiServers", "dataServers"):
                flood(exchange, body, 50)
        for _ in range(20):
            assert client.get("t2-nested").content == b"nested"
        assert set(rabbitmq_queues()) == queues          # no listener was restarted

    def test_locate_replies_go_only_to_the_direct_reply_pseudo_queue(self, client):
        """A request naming some queue as reply_to got six replies into it (amplification)."""
        client.put("t2-amplify", b"x")
        connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ))
        try:
            channel = connection.channel()
            victim = channel.queue_declare("", exclusive=True).method.queue
            name = json.dumps(client.stored_name("t2-amplify", b"x")).encode()
            channel.basic_publish("dataServers", "", name, pika.BasicProperties(reply_to=victim, correlation_id="c"))
            time.sleep(1)
            assert channel.queue_declare(victim, passive=True).method.message_count == 0
        finally:
            connection.close()

    def test_a_flood_of_locate_requests_does_not_stall_reads(self, client):
        client.put("t2-flooded", b"still read")
        name = json.dumps(client.stored_name("t2-flooded", b"still read")).encode()
        flood("dataServers", name, 20000, reply_to="amq.rabbitmq.reply-to.forged", correlation_id="f")
        started = time.monotonic()
        assert client.get("t2-flooded").content == b"still read"
        assert time.monotonic() - started < 3

    def test_locate_replies_from_servers_that_are_not_live_are_ignored(self, client):
        """A spoofer that echoes the correlation id named itself as the holder (its bytes were served)."""
        data = os.urandom(100)                      # never stored: only the spoofer claims it
        spoofed = "127.0.9.9:12345"
        with LocateSpy(lambda _request: [spoofed, {"Addr": spoofed, "Id": 0}]) as spy:
            answer = requests.get(client.url(client.stored_name("t2-spoofed", data), "locate"), timeout=30)
            assert spy.answered >= 1
        assert answer.status_code == 404, answer.text


class TestHostileClients(chapter1.TestHostileClients):
    """Chapter 1's, re-checked against chapter 2."""


def test_readme_walkthrough(cluster):
    walkthrough.run(README)


def holders(cluster, stored_name: str) -> list:
    """The data servers that keep a file called ``stored_name`` (chapter 5: or its shards)."""
    return [p for p in cluster.data_servers if any(
        f.name == stored_name or f.name.startswith(stored_name + ".") for f in (Path(p.root) / "objects").iterdir())]


def _answers(address: str) -> bool:
    try:
        return requests.get(f"http://{address}/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False
