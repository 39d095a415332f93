"""final/'s events (issue 23): S3's event JSON on RabbitMQ's ``objectEvents``, bucket notification
configurations, and ``python -m final.notifier`` POSTing them to webhooks (a small HTTP server of
this test), against the real cluster and broker."""
import contextlib
import hashlib
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import pika
import pytest
from botocore.exceptions import ClientError

from final.events.bus import EventBus
from tests.final import s3
from tests.support import FAST, RABBITMQ, BrokerTap, rabbitmq_queues, wait_until

REPO = Path(__file__).resolve().parents[2]
NOTIFIER_HOSTS = "127.0.0.1"             # the api servers also allow localhost (conftest.WEBHOOK_HOSTS)


class Listener(BrokerTap):
    """A queue of this test bound to ``objectEvents``: every event published, with its routing key."""
    exchange, routing_key = "objectEvents", "#"

    def __init__(self):
        super().__init__()
        self.heard: list[tuple[str, dict, object]] = []

    def declare(self, channel) -> None:
        channel.exchange_declare("objectEvents", exchange_type="topic", durable=True)

    def take(self, _channel, method, properties, body: bytes) -> None:
        self.heard.append((method.routing_key, json.loads(body), properties))

    def records(self, bucket: str) -> list[dict]:
        return [body["Records"][0] for _, body, _ in self.heard
                if "Records" in body and body["Records"][0]["s3"]["bucket"]["name"] == bucket]

    def wait(self, bucket: str, count: int, timeout: float = 15) -> list[dict]:
        wait_until(lambda: len(self.records(bucket)) >= count, timeout, what=f"{count} events of {bucket}")
        return self.records(bucket)


class Webhooks(http.server.ThreadingHTTPServer):
    """Webhooks on 127.0.0.1: ``/ok/…`` answers 200, ``/flaky/…`` 503 to each event's first two
    attempts, ``/refuse/…`` 403; every POST is kept (path, event id, body)."""
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Hook)
        self.posts: list[tuple[str, str, dict]] = []
        self.attempts: dict[tuple[str, str], int] = defaultdict(int)     # (path, event id): POSTs
        self.lock = threading.Lock()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server_address[1]}{path}"

    def delivered(self, path: str) -> list[dict]:
        with self.lock:
            return [body["Records"][0] for p, _, body in self.posts if p == path]

    def wait(self, path: str, count: int, timeout: float = 20) -> list[dict]:
        wait_until(lambda: len(self.delivered(path)) >= count, timeout, what=f"{count} events at {path}")
        return self.delivered(path)


class _Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        hooks, event = self.server, self.headers.get("X-Event-Id", "")
        with hooks.lock:
            hooks.attempts[(self.path, event)] += 1
            status = 403 if self.path.startswith("/refuse") else \
                503 if self.path.startswith("/flaky") and hooks.attempts[(self.path, event)] <= 2 else 200
            if status == 200:
                hooks.posts.append((self.path, event, body))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def broker():
    """A channel on the tests' broker."""
    connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ))
    try:
        yield connection.channel()
    finally:
        connection.close()


def drop_notifier_queues() -> None:
    with broker() as channel:
        for name in rabbitmq_queues():
            if name.startswith("notifier."):
                channel.queue_delete(name)


def waiting() -> int:
    """How many events wait in ``notifier.events`` (-1: there is no such queue)."""
    try:
        with broker() as channel:
            return channel.queue_declare("notifier.events", passive=True).method.message_count
    except pika.exceptions.ChannelClosedByBroker:
        return -1


class Notifier:
    def __init__(self, cluster):
        self.log = Path(cluster.root) / "logs" / "notifier.log"
        self.env = {**os.environ, **FAST, **cluster.env, "PYTHONPATH": str(REPO),
                    "WEBHOOK_ALLOWED_HOSTS": NOTIFIER_HOSTS}
        self.process = None

    def start(self):
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "final.notifier"], env=self.env, cwd=REPO,
                                            stdout=log, stderr=subprocess.STDOUT)

        wait_until(self.routing, 30, what="the notifier to consume notifier.events")

    @staticmethod
    def routing() -> bool:
        """Whether a notifier consumes ``notifier.events``."""
        try:
            with broker() as channel:
                return channel.queue_declare("notifier.events", passive=True).method.consumer_count > 0
        except pika.exceptions.ChannelClosedByBroker:           # not declared yet
            return False

    def stop(self):
        self.process.terminate()
        assert self.process.wait(10) == 0


@pytest.fixture(scope="module")
def hooks():
    server = Webhooks()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def notifier(cluster):
    drop_notifier_queues()
    running = Notifier(cluster)
    running.start()
    yield running
    running.stop()
    drop_notifier_queues()


def configure(client, bucket: str, *targets) -> None:
    client.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "TopicConfigurations": list(targets)})


def topic(url: str, events=("s3:ObjectCreated:*",), ident=None, **filters) -> dict:
    target = {"TopicArn": url, "Events": list(events)}
    if ident:
        target["Id"] = ident
    if filters:
        target["Filter"] = {"Key": {"FilterRules": [{"Name": k, "Value": v} for k, v in filters.items()]}}
    return target


def code(failure: ClientError) -> str:
    return failure.response["Error"]["Code"]


class TestObjectEvents:
    def test_put_copy_complete_and_deletes_publish_s3_event_json_with_the_request_id(self, alice):
        bucket = s3.new_bucket(alice, "ev")
        data = os.urandom(5000)
        with Listener() as listener:
            put = alice.put_object(Bucket=bucket, Key="a b/é.txt", Body=data)
            alice.copy_object(Bucket=bucket, Key="copy.txt", CopySource={"Bucket": bucket, "Key": "a b/é.txt"})
            upload = alice.create_multipart_upload(Bucket=bucket, Key="multi.bin")["UploadId"]
            part = alice.upload_part(Bucket=bucket, Key="multi.bin", UploadId=upload, PartNumber=1, Body=b"m" * 70000)
            alice.complete_multipart_upload(Bucket=bucket, Key="multi.bin", UploadId=upload, MultipartUpload={
                "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
            alice.delete_object(Bucket=bucket, Key="a b/é.txt")
            alice.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "copy.txt"}, {"Key": "never-was"}]})
            heard = listener.wait(bucket, 5)
            time.sleep(0.5)
            keys = [(method, body["Records"][0]["eventName"]) for method, body, _ in listener.heard
                    if "Records" in body and body["Records"][0]["s3"]["bucket"]["name"] == bucket]
        assert [r["eventName"] for r in listener.records(bucket)] == [
            "ObjectCreated:Put", "ObjectCreated:Copy", "ObjectCreated:CompleteMultipartUpload",
            "ObjectRemoved:Delete", "ObjectRemoved:Delete"]              # nothing for the key that never was
        assert [k for k, _ in keys] == ["ObjectCreated.Put", "ObjectCreated.Copy",
                                        "ObjectCreated.CompleteMultipartUpload", "ObjectRemoved.Delete",
                                        "ObjectRemoved.Delete"]
        first = heard[0]
        assert first["eventVersion"] == "2.1" and first["awsRegion"] == s3.REGION
        assert first["responseElements"]["x-amz-request-id"] == put["ResponseMetadata"]["RequestId"]
        assert first["userIdentity"]["principalId"] == "alice"
        assert first["s3"]["bucket"] == {"name": bucket, "ownerIdentity": {"principalId": "alice"},
                                         "arn": f"arn:aws:s3:::{bucket}"}
        assert first["s3"]["object"] == {"key": "a+b/%C3%A9.txt", "size": 5000, "eTag": hashlib.md5(data).hexdigest(),
                                         "versionId": "1", "sequencer": "0000000000000001"}
        sent = datetime.strptime(first["eventTime"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        assert abs(sent.timestamp() - time.time()) < 60
        assert heard[2]["s3"]["object"]["size"] == 70000 and heard[2]["s3"]["object"]["eTag"].endswith("-1")
        removed = heard[3]["s3"]["object"]
        assert removed["key"] == "a+b/%C3%A9.txt" and removed["versionId"] == "2" and "size" not in removed
        assert heard[4]["s3"]["object"]["key"] == "copy.txt"
        assert all(props.delivery_mode == 2 and props.message_id for _, _, props in listener.heard)

    def test_a_failed_request_publishes_nothing(self, alice, bob):
        bucket = s3.new_bucket(alice, "evfail")
        with Listener() as listener:
            with pytest.raises(ClientError) as denied:
                bob.put_object(Bucket=bucket, Key="denied", Body=b"x")
            assert code(denied.value) == "AccessDenied"
            with pytest.raises(ClientError) as bad:
                alice.put_object(Bucket=bucket, Key="bad-md5", Body=b"x", ContentMD5="1B2M2Y8AsgTpgAmY7PhCfg==")
            assert code(bad.value) == "BadDigest"
            alice.delete_object(Bucket=bucket, Key="never-was")
            with pytest.raises(ClientError):
                bob.delete_object(Bucket=bucket, Key="never-was")
            alice.put_object(Bucket=bucket, Key="marker", Body=b"x")
            listener.wait(bucket, 1)
            time.sleep(0.5)
        assert [(r["eventName"], r["s3"]["object"]["key"]) for r in listener.records(bucket)] == [
            ("ObjectCreated:Put", "marker")]


class TestBus:
    def test_a_feed_hears_the_broker_only_while_it_is_watched(self):
        heard, watching = [], [False]
        feed = EventBus(RABBITMQ, lambda value, _props: heard.append(value), "test-feed", lambda: watching[0])
        publisher = EventBus(RABBITMQ, name="test-publisher")
        feed.start()
        publisher.start()
        try:
            wait_until(lambda: feed.connected and publisher.connected, 10, what="both buses to connect")
            publisher.publish({"kind": "ServerJoined", "server": "unwatched"})
            assert publisher.drain(5)
            time.sleep(0.5)
            assert heard == []
            watching[0] = True
            wait_until(lambda: publisher.publish({"kind": "ServerJoined", "server": "watched"}).wait(5) and heard,
                       10, what="the feed to hear events once watched")
            assert {event["server"] for event in heard} == {"watched"}
            watching[0] = False
            time.sleep(0.5)                                   # (it stops listening within a flush interval)
            count = len(heard)
            publisher.publish({"kind": "ServerJoined", "server": "unwatched again"})
            assert publisher.drain(5)
            time.sleep(0.5)
            assert len(heard) == count
        finally:
            feed.stop()
            publisher.stop()


class TestNotificationConfiguration:
    def test_it_is_kept_as_sent_and_only_the_owner_reads_or_changes_it(self, alice, bob, hooks):
        bucket = s3.new_bucket(alice, "cfg")
        assert alice.get_bucket_notification_configuration(Bucket=bucket).get("TopicConfigurations") is None
        wanted = [topic(hooks.url("/ok/a"), ["s3:ObjectCreated:Put", "s3:ObjectRemoved:*"], "images", prefix="img/",
                        suffix=".jpg"), topic(hooks.url("/ok/b", "localhost"), ident="all")]
        configure(alice, bucket, *wanted)
        got = alice.get_bucket_notification_configuration(Bucket=bucket)["TopicConfigurations"]
        assert [(t["Id"], t["TopicArn"], t["Events"]) for t in got] == [
            ("images", wanted[0]["TopicArn"], ["s3:ObjectCreated:Put", "s3:ObjectRemoved:*"]),
            ("all", wanted[1]["TopicArn"], ["s3:ObjectCreated:*"])]
        assert got[0]["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "img/"},
                                                          {"Name": "suffix", "Value": ".jpg"}]
        for call in (lambda: bob.get_bucket_notification_configuration(Bucket=bucket),
                     lambda: configure(bob, bucket, topic(hooks.url("/ok/bob"))),
                     lambda: alice.get_bucket_notification_configuration(Bucket="no-such-" + bucket)):
            with pytest.raises(ClientError) as refused:
                call()
            assert code(refused.value) in ("AccessDenied", "NoSuchBucket")
        configure(alice, bucket)                     # empty: no more notifications
        assert alice.get_bucket_notification_configuration(Bucket=bucket).get("TopicConfigurations") is None

    @pytest.mark.parametrize("target", [
        topic("http://169.254.169.254/latest/meta-data/"),          # not an allowed host (SSRF)
        topic("http://127.0.0.2:8080/x"), topic("ftp://127.0.0.1/x"), topic("http://user@127.0.0.1/x"),
        topic("not a url"), topic("http://127.0.0.1/ok", ["s3:ObjectRestore:*"]),
        topic("http://127.0.0.1/ok", ["s3:ObjectCreated:*"], prefix="a", Prefix="b"),
    ])
    def test_a_target_outside_the_allowed_hosts_or_a_bad_one_is_refused(self, alice, target):
        bucket = s3.new_bucket(alice, "cfgbad")
        with pytest.raises(ClientError) as refused:
            configure(alice, bucket, target)
        assert code(refused.value) == "InvalidArgument"
        assert alice.get_bucket_notification_configuration(Bucket=bucket).get("TopicConfigurations") is None

    def test_a_document_that_is_not_xml_is_malformed(self, front):
        bucket = s3.new_bucket(s3.client(front), "cfgxml")
        answer = s3.signed(front, "PUT", f"/{bucket}", query="notification", body=b"<NotificationConfiguration><")
        assert answer.status_code == 400 and b"MalformedXML" in answer.content


class TestNotifier:
    def test_matching_events_are_posted_in_order_per_key_with_retries(self, alice, hooks, notifier):
        bucket = s3.new_bucket(alice, "hook")
        configure(alice, bucket, topic(hooks.url("/flaky/order"), ident="flaky", prefix="img/", suffix=".jpg"),
                  topic(hooks.url("/ok/removed"), ["s3:ObjectRemoved:*"], "removed"))
        for number in range(1, 6):
            alice.put_object(Bucket=bucket, Key="img/cat.jpg", Body=f"v{number}".encode())
        alice.put_object(Bucket=bucket, Key="img/dog.png", Body=b"not .jpg")
        alice.put_object(Bucket=bucket, Key="doc/cat.jpg", Body=b"not img/")
        alice.delete_object(Bucket=bucket, Key="img/dog.png")
        got = hooks.wait("/flaky/order", 5)
        assert [(r["s3"]["object"]["key"], r["s3"]["object"]["versionId"]) for r in got] == [
            ("img/cat.jpg", str(n)) for n in range(1, 6)]                     # in order, each after retries
        assert {r["s3"]["configurationId"] for r in got} == {"flaky"}
        assert [n for (path, _), n in hooks.attempts.items() if path == "/flaky/order"] == [3] * 5
        removed = hooks.wait("/ok/removed", 1)
        assert [(r["eventName"], r["s3"]["object"]["key"]) for r in removed] == [("ObjectRemoved:Delete", "img/dog.png")]
        time.sleep(1)
        assert len(hooks.delivered("/flaky/order")) == 5 and len(hooks.delivered("/ok/removed")) == 1

    def test_a_dead_webhook_holds_up_no_other_and_a_refusing_one_is_not_retried(self, alice, hooks, notifier):
        bucket = s3.new_bucket(alice, "dead")
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            dead = f"http://127.0.0.1:{closed.getsockname()[1]}/dead"          # nothing listens there
        configure(alice, bucket, topic(dead, ident="dead"), topic(hooks.url("/refuse/x"), ident="refuse"),
                  topic(hooks.url("/ok/alive"), ident="alive"))
        for number in range(20):
            alice.put_object(Bucket=bucket, Key=f"k{number}", Body=b"x")
        got = hooks.wait("/ok/alive", 20)
        assert sorted(r["s3"]["object"]["key"] for r in got) == sorted(f"k{n}" for n in range(20))
        time.sleep(1)
        assert [n for (path, _), n in hooks.attempts.items() if path == "/refuse/x"] == [1] * 20

    def test_events_wait_in_the_broker_while_no_notifier_runs(self, alice, hooks, notifier):
        bucket = s3.new_bucket(alice, "later")
        configure(alice, bucket, topic(hooks.url("/ok/later")))
        alice.put_object(Bucket=bucket, Key="doc", Body=b"1")
        hooks.wait("/ok/later", 1)
        notifier.stop()
        try:
            for number in range(2, 5):
                alice.put_object(Bucket=bucket, Key="doc", Body=f"{number}".encode())
            time.sleep(1)
            assert len(hooks.delivered("/ok/later")) == 1
        finally:
            notifier.start()
        got = hooks.wait("/ok/later", 4, timeout=30)       # one key: its versions come in order
        assert [r["s3"]["object"]["versionId"] for r in got] == ["1", "2", "3", "4"]

    def test_events_wait_for_a_notifier_that_never_ran_and_others_do_not_pile_up(self, alice, hooks, notifier):
        bucket, quiet = s3.new_bucket(alice, "never"), s3.new_bucket(alice, "quiet")
        configure(alice, bucket, topic(hooks.url("/ok/never")))
        notifier.stop()
        try:
            with broker() as channel:
                channel.queue_delete("notifier.events")        # as on a broker no notifier ever saw
            wait_until(lambda: waiting() == 0, 10, what="the api servers to declare notifier.events again")
            alice.put_object(Bucket=bucket, Key="early", Body=b"1")
            for number in range(5):
                alice.put_object(Bucket=quiet, Key=f"unwatched-{number}", Body=b"2")   # no webhook: not kept
            wait_until(lambda: waiting() == 1, 10, what="the event kept in notifier.events")
            time.sleep(0.5)
            assert waiting() == 1
        finally:
            notifier.start()
        got = hooks.wait("/ok/never", 1, timeout=30)
        assert [r["s3"]["object"]["key"] for r in got] == ["early"]

    def test_a_host_the_notifier_does_not_allow_is_never_called(self, alice, hooks, notifier):
        bucket = s3.new_bucket(alice, "ssrf")
        configure(alice, bucket, topic(hooks.url("/ok/ssrf", "localhost")), topic(hooks.url("/ok/allowed")))
        alice.put_object(Bucket=bucket, Key="k", Body=b"x")
        hooks.wait("/ok/allowed", 1)
        time.sleep(2)
        assert hooks.delivered("/ok/ssrf") == []
