"""The api's HTTP client for data servers never follows a redirect (issue 18: a fake data server's
307 made the api DELETE an Elasticsearch index). A real HTTP server on loopback plays the fake."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chapter02_distributed.common import objectstream


class Redirecting(BaseHTTPRequestHandler):
    """Answers every request with a 307 to /elsewhere on the same server, and counts visits there."""
    visits: list = []

    def _answer(self):
        if self.path == "/elsewhere":
            Redirecting.visits.append(self.command)
            self.send_response(200)
            self.send_header("Content-Length", "0")
        else:
            self.send_response(307)
            self.send_header("Location", f"http://{self.headers['Host']}/elsewhere")
            self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_PUT = do_DELETE = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def fake():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Redirecting.visits = []
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_redirect_from_a_data_server_is_an_error_and_is_not_followed(fake):
    with pytest.raises(objectstream.DataServerError):
        objectstream.get_stream(fake, "object")
    with pytest.raises(objectstream.DataServerError):
        objectstream.put_stream(fake, "object", [b"body"], 4)
    response = objectstream.request("DELETE", objectstream.url(fake, "objects", "object"))
    assert response.status_code == 307
    assert Redirecting.visits == []
