"""Chapter 1 (book §4.1): PUT and GET of whole objects, safe names, streaming, the walk-through.

Later chapters inherit these classes (``class TestX(chapter1.TestX)``), so the same contract is
re-checked through their api servers: ``client`` and ``front`` come from each chapter's conftest.
"""
import hashlib
import json
import os
import signal
import socket
import time
from pathlib import Path

import requests

from tests import walkthrough
from tests.support import FAST, curl, error_code, health

README = Path(__file__).resolve().parents[2] / "chapter01_single" / "README.md"


class TestObjects:
    """PUT stores, GET returns the same bytes, errors are JSON."""
    unsupported = "POST"     # a method /objects/ does not serve (chapter 6 adds POST)

    def test_put_then_get_returns_the_same_bytes(self, client):
        assert client.put("t1-hello", b"hello object").status_code == 200
        got = client.get("t1-hello")
        assert got.status_code == 200 and got.content == b"hello object"

    def test_second_put_replaces_the_content(self, client):
        client.put("t1-replaced", b"first")
        client.put("t1-replaced", b"second, longer")
        assert client.get("t1-replaced").content == b"second, longer"

    def test_get_of_unknown_object_is_404_json(self, client):
        response = client.get("t1-never-stored")
        assert response.status_code == 404 and error_code(response) == "NoSuchObject"

    def test_empty_object_round_trips(self, client):
        assert client.put("t1-empty", b"").status_code == 200
        got = client.get("t1-empty")
        assert got.status_code == 200 and got.content == b""

    def test_unsupported_method_is_405_with_allow(self, client):
        response = requests.request(self.unsupported, client.url("t1-x"), data=b"x", timeout=10)
        assert response.status_code == 405 and "GET" in response.headers["Allow"]
        assert error_code(response) == "MethodNotAllowed"

    def test_healthz_answers_json(self, front):
        assert health(front)["status"] == "ok"


class TestStreaming:
    """Bodies stream both ways; chunked uploads and Expect: 100-continue work."""

    def test_chunked_upload_of_many_megabytes_round_trips(self, client, tmp_path):
        data = os.urandom(1 << 20) * 24
        assert client.put_chunked("t1-chunked", data).status_code == 200
        got = client.get("t1-chunked")
        assert hashlib.sha256(got.content).digest() == hashlib.sha256(data).digest()

    def test_curl_upload_with_expect_100_continue(self, client, tmp_path):
        source = tmp_path / "big"
        source.write_bytes(os.urandom(3 << 20))
        headers = [f"-H{k}: {v}" for k, v in client.headers_for(source.read_bytes()).items()]
        done = curl("-o", "/dev/null", "-w", "%{http_code}", "-H", "Expect: 100-continue", *headers,
                    "-T", str(source), client.url("t1-expect"))
        assert done.stdout == b"200"
        assert client.get("t1-expect").content == source.read_bytes()

    def test_a_client_that_hangs_up_mid_upload_leaves_the_old_content(self, client, front):
        client.put("t1-hangup", b"old content")
        full = os.urandom(100000)
        headers = "".join(f"{k}: {v}\r\n" for k, v in client.headers_for(full).items())
        host, port = front.split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(f"PUT /objects/t1-hangup HTTP/1.1\r\nHost: {front}\r\nContent-Length: 100000\r\n"
                         f"{headers}\r\n".encode() + full[:1000])
        time.sleep(0.5)
        assert client.get("t1-hangup").content == b"old content"

    def test_two_uploads_pipelined_on_one_connection_are_both_stored(self, client, front):
        """The body is read straight from the socket: bytes past it belong to the next request."""
        bodies = {"t1-pipe-a": os.urandom(100), "t1-pipe-b": os.urandom(70000)}   # a and b in one recv
        wire = b""
        for name, data in bodies.items():
            headers = "".join(f"{k}: {v}\r\n" for k, v in client.headers_for(data).items())
            wire += (f"PUT /objects/{name} HTTP/1.1\r\nHost: {front}\r\nContent-Length: {len(data)}\r\n"
                     f"{headers}\r\n").encode() + data
        host, port = front.split(":")
        with socket.create_connection((host, int(port)), timeout=20) as sock:
            sock.sendall(wire)                      # both requests in one go, as a pipelining client
            answers = b""
            while answers.count(b"\r\n\r\n") < 2 and (more := sock.recv(65536)):
                answers += more
        assert answers.count(b"HTTP/1.1 200") == 2, answers[:300]
        for name, data in bodies.items():
            assert client.get(name).content == data

    def test_get_has_exact_content_length(self, client):
        client.put("t1-length", b"x" * 12345)
        assert client.get("t1-length").headers["Content-Length"] == "12345"


class TestNames:
    """A name is the percent-decoded UTF-8 segment; nothing ever reaches outside STORAGE_ROOT."""
    traversal = ["/objects/..", "/objects/%2e%2e", "/objects/%2E%2E%2Fescape", "/objects/..%2Fescape",
                 "/objects/a%2Fb", "/objects/%2Fetc%2Fpasswd", "/objects/a%00b", "/objects/",
                 "/objects/%0a", "/objects/" + "n" * 256, "/objects/%ff%fe", "/objects//x"]

    def test_hostile_names_are_rejected_with_400_and_write_nothing(self, client, cluster):
        for path in self.traversal:
            response = client.raw("PUT", path, data=b"evil")
            assert response.status_code == 400, (path, response.status_code)
            assert error_code(response) == "InvalidName"
        assert not list(Path(cluster.root).glob("**/escape"))
        assert not (Path(cluster.root) / "escape").exists()

    def test_hostile_names_are_rejected_on_get(self, client):
        for path in self.traversal:
            assert client.raw("GET", path).status_code == 400, path

    def test_percent_encoded_and_raw_spellings_are_one_name(self, client):
        client.raw("PUT", "/objects/a%20b%28c%29", data=b"spelled")
        assert client.raw("GET", "/objects/a%20b(c)").content == b"spelled"

    def test_unicode_names_round_trip(self, client):
        assert client.put("对象-ü-😀", b"unicode").status_code == 200
        assert client.get("对象-ü-😀").content == b"unicode"

    def test_a_255_byte_name_is_accepted(self, client):
        assert client.put("n" * 255, b"long").status_code == 200
        assert client.get("n" * 255).content == b"long"


class TestProcess:
    """The entry point behaves like a service."""

    def test_sigterm_stops_the_server_within_5_seconds(self, cluster):
        process = cluster.data_servers[0]
        started = time.monotonic()
        os.kill(process.pid, signal.SIGTERM)
        try:
            while process.running() and time.monotonic() - started < 6:
                os.waitpid(process.pid, os.WNOHANG)
                time.sleep(0.05)
            assert not process.running(), "still running 6 s after SIGTERM"
            assert time.monotonic() - started < 5
        finally:
            cluster.up()


class TestHostileClients:
    """Clients that stall or send garbage cost a server little (issue 18)."""

    def test_connections_stalled_mid_header_free_their_threads_within_the_read_timeout(self, front):
        """Slowloris: more stalled connections than the server has threads; a fresh request is
        still answered, once the stalled ones have been silent for READ_TIMEOUT seconds."""
        host, port = front.rsplit(":", 1)
        stalled = [socket.create_connection((host, int(port)), timeout=10) for _ in range(40)]
        try:
            for connection in stalled:
                connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: stalled\r\nX-Half: ")
            started = time.monotonic()
            assert requests.get(f"http://{front}/healthz", timeout=60).status_code == 200
            assert time.monotonic() - started < 3 * float(FAST["READ_TIMEOUT"])
        finally:
            for connection in stalled:
                connection.close()

    def test_a_request_the_http_server_cannot_parse_gets_the_json_error_body(self, front):
        host, port = front.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            connection.sendall(b"NOT HTTP AT ALL\r\n\r\n")
            answer = b""
            while chunk := connection.recv(4096):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400") and b"Content-Type: application/json" in head
        assert json.loads(body)["error"] == "BadRequest"


def test_readme_walkthrough(cluster):
    walkthrough.run(README)
