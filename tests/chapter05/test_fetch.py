"""Shard GETs sent together (``chapter05_erasure.common.fetch``): kept connections, stale ones, failures.

Run against a small real HTTP/1.1 server in the test process, so that the connections it accepts
can be counted and its misbehaviours chosen.
"""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chapter02_distributed.common import objectstream
from chapter05_erasure.common import fetch
from chapter05_erasure.common.fetch import ShardFetch

BODY = bytes(range(256)) * 1024            # longer than fetch.DRAIN: left unread, it is not drained
NOT_HERE = b"no such shard"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"          # keep-alive unless told otherwise

    def setup(self):
        super().setup()
        self.server.accepted += 1

    def do_GET(self):
        self.server.requests.append(self.path)
        mode = self.server.mode
        if mode == "slow":
            time.sleep(1.2)
        body = NOT_HERE if self.path.endswith("missing") else b"" if mode == "empty" else BODY
        self.send_response(404 if self.path.endswith("missing") else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:len(body) // 2] if mode == "cut" else body)
        if mode in ("cut", "close after"):   # no Connection: close: the client believes it kept-alive
            self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.accepted, httpd.requests, httpd.mode = 0, [], "keep"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.address = f"127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def whole(server_address: str, name: str = "x") -> bytes | None:
    shard = ShardFetch(server_address, objectstream.path("objects", name), {})
    assert shard.answer() == 200
    data = shard.read(len(BODY))
    shard.close()
    return None if data is None else bytes(data)


def test_requests_are_sent_before_any_answer_is_read(server):
    shards = [ShardFetch(server.address, objectstream.path("objects", f"k.{i}"), {"Range": "bytes=0-"}) for i in range(4)]
    threading.Event().wait(0.3)
    assert sorted(server.requests) == [f"/objects/k.{i}" for i in range(4)]   # nobody has read an answer yet
    assert [s.answer() for s in shards] == [200] * 4
    assert all(bytes(s.read(len(BODY))) == BODY for s in shards)


def test_a_connection_read_to_its_end_serves_the_next_fetch(server):
    assert whole(server.address) == BODY
    assert whole(server.address) == BODY
    assert server.accepted == 1


def test_a_body_left_unread_takes_its_connection_down(server):
    shard = ShardFetch(server.address, objectstream.path("objects", "x"), {})
    assert shard.answer() == 200 and len(shard.read(100)) == 100
    shard.close()
    assert whole(server.address) == BODY
    assert server.accepted == 2


def test_a_connection_the_server_closed_while_idle_is_not_reused(server):
    server.mode = "close after"
    assert whole(server.address) == BODY
    threading.Event().wait(0.2)
    shard = ShardFetch(server.address, objectstream.path("objects", "x"), {})
    assert not shard.reused                  # seen as closed before a request was written on it
    assert shard.answer() == 200 and bytes(shard.read(len(BODY))) == BODY
    assert server.accepted == 2


def test_a_kept_connection_that_fails_before_its_answer_is_retried_once(server, monkeypatch):
    server.mode = "close after"
    assert whole(server.address) == BODY
    threading.Event().wait(0.2)
    monkeypatch.setattr(fetch, "_dropped", lambda connection: False)     # the close is noticed too late
    assert whole(server.address) == BODY
    assert server.accepted == 2


def test_a_status_other_than_200_is_given_to_the_caller_and_its_short_body_drained(server):
    shard = ShardFetch(server.address, objectstream.path("objects", "missing"), {})
    assert shard.answer() == 404
    shard.close()
    assert whole(server.address) == BODY
    assert server.accepted == 1


def test_an_empty_body_keeps_its_connection(server):
    server.mode = "empty"
    shard = ShardFetch(server.address, objectstream.path("objects", "x"), {})
    assert shard.answer() == 200 and shard.read(0) == bytearray()
    shard.close()
    server.mode = "keep"
    assert whole(server.address) == BODY
    assert server.accepted == 1


def test_a_timeout_on_a_kept_connection_is_not_retried(server, monkeypatch):
    monkeypatch.setattr(fetch, "TIMEOUT", (1, 0.4))
    assert whole(server.address) == BODY
    server.mode = "slow"
    started = time.monotonic()
    shard = ShardFetch(server.address, objectstream.path("objects", "x"), {})
    assert shard.reused and shard.answer() is None
    assert time.monotonic() - started < 0.8            # one read timeout, not two
    assert len(server.requests) == 2


def test_a_body_cut_short_does_not_go_back_to_the_pool(server):
    server.mode = "cut"
    shard = ShardFetch(server.address, objectstream.path("objects", "x"), {})
    assert shard.answer() == 200
    assert bytes(shard.read(len(BODY) // 2)) == BODY[:len(BODY) // 2]    # all that came, then the end
    assert shard.read(len(BODY) - len(BODY) // 2) is None
    shard.close()
    assert fetch._idle.get(server.address, []) == []


def test_a_body_cut_short_reads_as_none(server):
    server.mode = "cut"
    shard = ShardFetch(server.address, objectstream.path("objects", "x"), {})
    assert shard.answer() == 200
    assert shard.read(len(BODY)) is None


def test_a_server_that_is_not_there_answers_none(server):
    address = server.address
    server.shutdown()
    server.server_close()
    shard = ShardFetch(address, objectstream.path("objects", "x"), {})
    assert shard.answer() is None
    assert shard.read(10) is None


def test_names_are_percent_encoded_in_the_path():
    assert objectstream.path("objects", "a/b c.0") == "/objects/a%2Fb%20c.0"
