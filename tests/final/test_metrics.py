"""final/'s ops wing (issue 23): ``GET /metrics`` on every server, request ids followed through
every server's log, and ``LOG_FORMAT=json`` (the ``cluster`` runs with it)."""
import json
import os
import re
import uuid
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from chapter03_metadata.common import digest
from tests.final import s3
from tests.final.containers import key_of, roll
from tests.support import wait_until

SMALL = 5000                    # three replicas in containers
BIG = (2 << 20) + 11            # past SMALL_OBJECT_LIMIT: 4+2 shards, written by threads and pools
MADE_ID = re.compile(r"[0-9A-F]{16}\Z")


def scrape(address: str) -> list:
    """(name, labels, value) of every sample ``GET /metrics`` on ``address`` answers."""
    response = requests.get(f"http://{address}/metrics", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(response.text)
            for s in family.samples]


def settled(address: str, ready) -> list:
    """A scrape of ``address`` once ``ready(samples)`` holds: a request is counted when its answer
    has been sent (its body closed), a moment after the client has it."""
    return wait_until(lambda: (samples := scrape(address)) and ready(samples) and samples, 5, what="the counts")


def total(samples: list, name: str, **labels) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    return sum(value for sample, got, value in samples
               if sample == name and all(got.get(k) == v for k, v in labels.items()))


def log_of(cluster, process) -> Path:
    return Path(cluster.root) / "logs" / f"{process.role}-{process.address}.log"


def lines_with(cluster, processes, request_id: str) -> dict:
    """Each process's access-log messages for ``request_id`` (JSON lines)."""
    found = {}
    for process in processes:
        for line in log_of(cluster, process).read_text().splitlines():
            record = json.loads(line)
            if record.get("request_id") == request_id and record["logger"] == "final.ops.access":
                found.setdefault(process.address, []).append(record["message"])
    return found


def put(client, name: str, data: bytes, **headers) -> requests.Response:
    response = client.put(name, data, headers=headers)
    assert response.status_code == 200, response.text
    return response


class TestMetrics:
    def test_book_requests_are_counted_by_route_method_and_status_with_their_bytes(self, cluster, front, client):
        data, before = os.urandom(SMALL), scrape(front)
        put(client, f"m-{uuid.uuid4().hex}", data)
        name = f"m-{uuid.uuid4().hex}"
        put(client, name, data)
        assert client.get(name).content == data
        assert client.get(f"missing-{uuid.uuid4().hex}").status_code == 404
        after = settled(front, lambda now: total(now, "objstore_http_requests_total", route="/objects/") >=
                        total(before, "objstore_http_requests_total", route="/objects/") + 4)

        def grew(name, **labels):
            return total(after, name, **labels) - total(before, name, **labels)
        assert grew("objstore_http_requests_total", route="/objects/", method="PUT", status="200") == 2
        assert grew("objstore_http_requests_total", route="/objects/", method="GET", status="200") == 1
        assert grew("objstore_http_requests_total", route="/objects/", method="GET", status="404") == 1
        assert grew("objstore_http_request_duration_seconds_count", route="/objects/", method="GET") == 2
        assert grew("objstore_http_received_bytes_total", route="/objects/") >= 2 * SMALL
        assert grew("objstore_http_sent_bytes_total", route="/objects/") >= SMALL
        assert grew("objstore_elasticsearch_request_duration_seconds_count") >= 3
        assert not {labels["route"] for _, labels, _ in after if "route" in labels} - {
            "/objects/", "/locate/", "/versions/", "/temp/", "/healthz", "/metrics", "unmatched"} - set(
            s3_names()), "a route label that is not a rule nor an S3 operation"

    def test_s3_requests_are_labelled_by_operation_never_by_path(self, front, alice):
        bucket, before = s3.new_bucket(alice, "metrics"), scrape(front)
        alice.put_object(Bucket=bucket, Key="a/b", Body=b"x" * SMALL)
        assert alice.get_object(Bucket=bucket, Key="a/b")["Body"].read() == b"x" * SMALL
        after = settled(front, lambda now: total(now, "objstore_http_requests_total", route="GetObject") >
                        total(before, "objstore_http_requests_total", route="GetObject"))
        for operation in ("PutObject", "GetObject"):
            assert total(after, "objstore_http_requests_total", route=operation, status="200") - \
                total(before, "objstore_http_requests_total", route=operation, status="200") == 1
        assert total(after, "objstore_http_sent_bytes_total", route="GetObject") - \
            total(before, "objstore_http_sent_bytes_total", route="GetObject") >= SMALL
        assert not [labels for _, labels, _ in after if any(bucket in v for v in labels.values())]

    def test_locates_are_timed_and_misses_counted(self, front, client):
        data = os.urandom(100)
        put(client, f"m-{uuid.uuid4().hex}", data)
        before = scrape(front)
        assert requests.get(client.url(digest.of(data), "locate"), timeout=10).status_code == 200
        found = settled(front, lambda now: total(now, "objstore_http_requests_total", route="/locate/") >
                        total(before, "objstore_http_requests_total", route="/locate/"))
        assert requests.get(client.url(digest.of(os.urandom(100)), "locate"), timeout=10).status_code == 404
        after = settled(front, lambda now: total(now, "objstore_http_requests_total", route="/locate/") >
                        total(found, "objstore_http_requests_total", route="/locate/"))
        assert total(after, "objstore_locate_duration_seconds_count") - \
            total(before, "objstore_locate_duration_seconds_count") == 2
        assert total(found, "objstore_locate_misses_total") == total(before, "objstore_locate_misses_total")
        assert total(after, "objstore_locate_misses_total") - total(found, "objstore_locate_misses_total") == 1

    def test_heartbeats_grow_and_six_data_servers_are_live(self, cluster, front):
        before = total(scrape(front), "objstore_heartbeats_received_total")
        wait_until(lambda: total(scrape(front), "objstore_heartbeats_received_total") >= before + 6, 5,
                   what="heartbeats counted")
        assert total(scrape(front), "objstore_live_data_servers") == 6

    def test_data_servers_count_their_requests_and_container_bytes(self, cluster, client):
        data = os.urandom(SMALL)
        before = [scrape(p.address) for p in cluster.data_servers]
        put(client, f"m-{uuid.uuid4().hex}", data)
        after = wait_until(lambda: (now := [scrape(p.address) for p in cluster.data_servers]) and sum(
            total(a, "objstore_http_requests_total", route="/containers/", method="PUT") -
            total(b, "objstore_http_requests_total", route="/containers/", method="PUT")
            for a, b in zip(now, before)) >= 3 and now, 5, what="three replicas counted")
        puts = sum(total(a, "objstore_http_requests_total", route="/containers/", method="PUT", status="200") -
                   total(b, "objstore_http_requests_total", route="/containers/", method="PUT", status="200")
                   for a, b in zip(after, before))
        assert puts == 3                                         # three replicas
        live = sum(total(a, "objstore_container_bytes", state="live") - total(b, "objstore_container_bytes",
                                                                              state="live")
                   for a, b in zip(after, before))
        assert live >= 3 * SMALL

    def test_a_shard_a_get_rebuilds_is_counted(self, cluster, front, client):
        name, data = f"m-{uuid.uuid4().hex}", os.urandom(BIG)
        put(client, name, data)
        lost = next(f for p in cluster.data_servers for f in (Path(p.root) / "objects").glob(f"{key_of(data)}.2.*"))
        before = total(scrape(front), "objstore_shards_repaired_total")
        lost.unlink()
        assert client.get(name).content == data
        wait_until(lambda: total(scrape(front), "objstore_shards_repaired_total") == before + 1, 10,
                   what="the repair counted")

    def test_a_compaction_is_counted_and_the_dead_bytes_leave_the_gauge(self, cluster):
        server = cluster.data_servers[5]
        roll(server)                                   # a container of this test's records alone
        records = [os.urandom(4096) for _ in range(8)]
        for data in records:
            assert requests.put(f"http://{server.address}/containers/{key_of(data)}", data=data, timeout=10).ok
        for data in records[:6]:
            assert requests.delete(f"http://{server.address}/containers/{key_of(data)}", timeout=10).ok
        roll(server)
        before = scrape(server.address)
        assert total(before, "objstore_container_bytes", state="dead") >= 6 * 4096
        answer = requests.post(f"http://{server.address}/containers/?compact", timeout=120).json()
        assert answer["compacted"]
        after = scrape(server.address)
        assert total(after, "objstore_compactions_total") - total(before, "objstore_compactions_total") == \
            len(answer["compacted"])
        assert total(after, "objstore_container_bytes", state="dead") < total(before, "objstore_container_bytes",
                                                                                state="dead")

    def test_metrics_is_not_a_bucket_and_answers_with_the_book_api_off(self, alice):
        from final import config
        from final.api_server.app import create_app
        app = create_app(config.load(environ={**os.environ, "BOOK_API": "off", "ES_INDEX": "ops-unused"}))
        web = app.test_client()
        assert web.get("/metrics").status_code == 200
        assert b"objstore_http_requests_total" in web.get("/metrics").data
        assert web.get("/objects/x").status_code == 404                  # the book's routes are off
        with pytest.raises(ClientError) as refused:
            alice.create_bucket(Bucket="metrics")
        assert refused.value.response["Error"]["Code"] == "InvalidBucketName"


def s3_names() -> list[str]:
    from final.s3.operations import COPIES, OPERATIONS, UNKNOWN
    return [*OPERATIONS.values(), *COPIES.values(), "ListObjectsV2", UNKNOWN]


def test_every_s3_route_has_an_operation_name():
    from final.s3.gateway import ROUTES
    from final.s3.operations import OPERATIONS
    assert set(ROUTES) <= set(OPERATIONS)


class TestRequestIds:
    def test_a_book_put_id_is_answered_and_followed_into_every_server_it_reached(self, cluster, client):
        request_id = f"book-{uuid.uuid4().hex}"
        response = put(client, f"m-{uuid.uuid4().hex}", os.urandom(SMALL), **{"X-Request-Id": request_id})
        assert response.headers["X-Request-Id"] == request_id
        api = wait_until(lambda: lines_with(cluster, cluster.api_servers, request_id), 5, what="the api's line")
        assert [m for m in sum(api.values(), []) if m.startswith("PUT /objects/")]
        data = wait_until(lambda: (found := lines_with(cluster, cluster.data_servers, request_id))
                          and sum(len(v) for v in found.values()) >= 3 and found, 5, what="the replicas' lines")
        assert all(m.startswith("PUT /containers/") for m in sum(data.values(), []))

    def test_a_big_put_id_reaches_every_shard_hop_made_by_threads_and_pools(self, cluster, client):
        request_id, name, data = f"big-{uuid.uuid4().hex}", f"m-{uuid.uuid4().hex}", os.urandom(BIG)
        put(client, name, data, **{"X-Request-Id": request_id})
        assert client.get(name, headers={"X-Request-Id": request_id + "-get"}).content == data

        def six():
            found = lines_with(cluster, cluster.data_servers, request_id)
            return len(found) == 6 and all(len(v) >= 3 for v in found.values()) and found
        found = wait_until(six, 5, what="a POST, PATCH and PUT of /temp/ with the id on each data server")
        for messages in found.values():       # the PATCH comes from a shard writer thread, the PUT from a pool
            assert {m.split()[0] for m in messages if " /temp/" in m} >= {"POST", "PATCH", "PUT"}
        gets = wait_until(lambda: lines_with(cluster, cluster.data_servers, request_id + "-get"), 5)
        assert sum(len(v) for v in gets.values()) >= 4                  # any four shards rebuild the object

    def test_an_s3_put_answers_its_id_in_both_headers_and_in_the_logs(self, cluster, front):
        request_id, alice = f"s3-{uuid.uuid4().hex}", s3.client(front, "alice")
        alice.meta.events.register("before-sign.s3.PutObject",
                                   lambda request, **_: request.headers.__setitem__("X-Request-Id", request_id))
        bucket = s3.new_bucket(alice, "ids")
        answer = alice.put_object(Bucket=bucket, Key="k", Body=b"y" * SMALL)["ResponseMetadata"]
        assert answer["HTTPHeaders"]["x-request-id"] == request_id == answer["RequestId"]
        wait_until(lambda: lines_with(cluster, cluster.api_servers, request_id), 5, what="the api's line")
        found = wait_until(lambda: lines_with(cluster, cluster.data_servers, request_id), 5, what="data lines")
        assert sum(len(v) for v in found.values()) >= 3

    @pytest.mark.parametrize("given", ["x" * 200, "<script>", "a b", ""])
    def test_an_insane_id_is_replaced_not_echoed(self, front, client, given):
        for response in (client.get(f"missing-{uuid.uuid4().hex}", headers={"X-Request-Id": given}),
                         requests.get(f"http://{front}/", headers={"X-Request-Id": given}, timeout=10)):
            assert response.headers["X-Request-Id"] != given
            assert MADE_ID.match(response.headers["X-Request-Id"])
        s3_answer = requests.get(f"http://{front}/", headers={"X-Request-Id": given}, timeout=10)
        assert s3_answer.headers["x-amz-request-id"] == s3_answer.headers["X-Request-Id"]


class TestJsonLogs:
    def test_every_line_of_every_server_log_is_a_json_object(self, cluster, client):
        put(client, f"m-{uuid.uuid4().hex}", b"z")            # something to log
        for process in cluster.processes:
            lines = log_of(cluster, process).read_text().splitlines()
            assert lines, process.address
            records = [json.loads(line) for line in lines]    # every line, gunicorn's included
            assert all({"time", "level", "logger", "message"} <= set(r) for r in records), process.address
            assert any(r["logger"] == "gunicorn.error" for r in records), process.address
            access = [r for r in records if r["logger"] == "final.ops.access"]
            assert access and all({"request_id", "method", "route", "status", "bytes_in", "bytes_out",
                                   "duration_ms"} <= set(r) for r in access), process.address

    def test_a_logged_exception_is_one_line_with_its_traceback(self):
        import logging
        from final.ops.logs import REQUEST_ID, JsonFormatter
        try:
            raise ValueError("boom\nsecond line")
        except ValueError:
            record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed: %s", ("x",), __import__("sys").exc_info())
        token = REQUEST_ID.set("rid-1")
        try:
            line = JsonFormatter().format(record)
        finally:
            REQUEST_ID.reset(token)
        assert "\n" not in line
        parsed = json.loads(line)
        assert parsed["message"] == "failed: x" and parsed["request_id"] == "rid-1"
        assert "ValueError: boom" in parsed["exception"] and parsed["level"] == "ERROR"


def test_elasticsearch_calls_and_failures_are_counted_from_the_clients_records():
    """Pure logic: the records both Elasticsearch clients log for each request move the metrics (a
    real failure needs Elasticsearch down, which the cluster tests do not do)."""
    import logging
    from final.ops import metrics

    def count(name, client):
        return metrics.REGISTRY.get_sample_value(name, {"client": client}) or 0.0
    metrics.watch_elasticsearch()
    names = ("objstore_elasticsearch_request_duration_seconds_count", "objstore_elasticsearch_errors_total")
    before = {(n, c): count(n, c) for n in names for c in ("official", "lean")}
    official, lean = logging.getLogger(metrics.OFFICIAL), logging.getLogger(metrics.LEAN)
    official.info("GET http://127.0.0.1:9200/i/_search [status:200 duration:0.004s]")
    official.info("PUT http://127.0.0.1:9200/i/_doc/1 [status:N/A duration:3.001s]")       # no answer
    lean.debug("%s %s [status:%s duration:%.3fs]", "GET", "/i/_doc/1", 503, 0.25)
    lean.debug("%s %s [status:%s duration:%.3fs]", "GET", "/i/_doc/2", 404, 0.01)           # an answer
    grew = {key: count(*key) - value for key, value in before.items()}
    assert grew == {(names[0], "official"): 2, (names[1], "official"): 1, (names[0], "lean"): 2,
                    (names[1], "lean"): 1}
