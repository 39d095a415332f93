"""final/'s lifecycle rules (issue 23): Put/Get/DeleteBucketLifecycleConfiguration, and
``python -m final.lifecycle`` applying them to the real cluster, with days one second long."""
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError

from final.catalog.lifecycle import Rule, due
from tests.chapter03.conftest import INDEX
from tests.final import s3
from tests.final.test_events import Listener
from tests.support import FAST, es_url, wait_until

REPO = Path(__file__).resolve().parents[2]
DAY = 1.0                                  # LIFECYCLE_DAY_SECONDS of these tests


def lifecycle_env(cluster, **more) -> dict:
    return {**os.environ, **FAST, **cluster.env, "PYTHONPATH": str(REPO), "LIFECYCLE_DAY_SECONDS": str(DAY), **more}


def run_once(cluster) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "final.lifecycle", "--once"], env=lifecycle_env(cluster),
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def rules(client, bucket: str, *given) -> None:
    client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": list(given)})


def versions(bucket: str, key: str) -> list[int]:
    """The version numbers of ``key`` in the catalog (deleted ones included)."""
    requests.post(f"{es_url()}/{INDEX}-s3/_refresh", timeout=30)
    found = requests.post(f"{es_url()}/{INDEX}-s3/_search", json={
        "query": {"term": {"name": f"{bucket}/{key}"}}, "size": 100, "sort": [{"version": "asc"}]}, timeout=30).json()
    return [hit["_source"]["version"] for hit in found["hits"]["hits"]]


def exists(client, bucket: str, key: str) -> bool:
    try:
        client.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as failure:
        assert failure.response["Error"]["Code"] in ("404", "NoSuchKey")
        return False


def code(failure: ClientError) -> str:
    return failure.response["Error"]["Code"]


class TestRules:
    def test_days_are_rounded_up_to_the_next_midnight_as_in_s3(self):
        day = 86400
        ten_am = datetime(2026, 12, 1, 10, tzinfo=timezone.utc).timestamp()
        assert due(ten_am, 1, day) == datetime(2026, 12, 3, tzinfo=timezone.utc).timestamp()
        assert due(datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp(), 1, day) == \
            datetime(2026, 12, 2, tzinfo=timezone.utc).timestamp()          # written at midnight: a day later
        assert due(10.5, 2, 1.0) == 13.0
        rule = Rule("r", "logs/", days=1)
        assert rule.covers("logs/a") and not rule.covers("log/a") and not Rule("r", "", False, days=1).covers("a")
        assert not rule.expired(ten_am, ten_am + 1.5 * day, day) and rule.expired(ten_am, ten_am + 1.6 * day, day)
        assert not Rule("n", noncurrent_days=1).noncurrent_expired(0, ten_am, day)     # superseded when: unknown


class TestLifecycleConfiguration:
    def test_rules_are_kept_as_sent_and_removed(self, alice):
        bucket = s3.new_bucket(alice, "lc")
        with pytest.raises(ClientError) as none:
            alice.get_bucket_lifecycle_configuration(Bucket=bucket)
        assert code(none.value) == "NoSuchLifecycleConfiguration"
        sent = [{"ID": "logs", "Filter": {"Prefix": "logs/"}, "Status": "Enabled", "Expiration": {"Days": 30},
                 "NoncurrentVersionExpiration": {"NoncurrentDays": 7},
                 "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 3}},
                {"ID": "old", "Filter": {"Prefix": ""}, "Status": "Disabled",
                 "Expiration": {"Date": datetime(2030, 1, 1, tzinfo=timezone.utc)}}]
        rules(alice, bucket, *sent)
        got = alice.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        assert got == sent
        alice.delete_bucket_lifecycle(Bucket=bucket)
        with pytest.raises(ClientError) as gone:
            alice.get_bucket_lifecycle_configuration(Bucket=bucket)
        assert code(gone.value) == "NoSuchLifecycleConfiguration"

    @pytest.mark.parametrize("rule, expected", [
        ({"Expiration": {"Days": 0}}, "InvalidArgument"),
        ({"Expiration": {"Date": datetime(2030, 1, 1, 12, tzinfo=timezone.utc)}}, "InvalidArgument"),
        ({"NoncurrentVersionExpiration": {"NoncurrentDays": 0}}, "InvalidArgument"),
        ({}, "InvalidRequest"),                                        # no action
        ({"Status": "Sometimes", "Expiration": {"Days": 1}}, "MalformedXML"),
        ({"Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]}, "NotImplemented"),
        ({"Filter": {"Tag": {"Key": "k", "Value": "v"}}, "Expiration": {"Days": 1}}, "NotImplemented"),
        ({"ID": "x" * 256, "Expiration": {"Days": 1}}, "InvalidArgument"),
    ])
    def test_a_bad_rule_is_refused_and_nothing_is_kept(self, alice, rule, expected):
        bucket = s3.new_bucket(alice, "lcbad")
        with pytest.raises(ClientError) as refused:
            rules(alice, bucket, {"ID": "r", "Filter": {"Prefix": ""}, "Status": "Enabled", **rule})
        assert code(refused.value) == expected
        with pytest.raises(ClientError) as none:
            alice.get_bucket_lifecycle_configuration(Bucket=bucket)
        assert code(none.value) == "NoSuchLifecycleConfiguration"

    def test_ids_are_unique_and_only_the_owner_may_see_or_change_rules(self, alice, bob):
        bucket = s3.new_bucket(alice, "lcown")
        rule = {"ID": "same", "Filter": {"Prefix": ""}, "Status": "Enabled", "Expiration": {"Days": 1}}
        with pytest.raises(ClientError) as twice:
            rules(alice, bucket, rule, rule)
        assert code(twice.value) == "InvalidArgument"
        rules(alice, bucket, rule)
        for call in (lambda: bob.get_bucket_lifecycle_configuration(Bucket=bucket),
                     lambda: rules(bob, bucket, rule), lambda: bob.delete_bucket_lifecycle(Bucket=bucket)):
            with pytest.raises(ClientError) as denied:
                call()
            assert code(denied.value) == "AccessDenied"
        assert alice.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]["ID"] == "same"


class TestLifecycleWorker:
    def test_expiration_deletes_only_covered_keys_once_they_are_due(self, alice, cluster):
        bucket = s3.new_bucket(alice, "lcexp")
        rules(alice, bucket, {"ID": "logs", "Filter": {"Prefix": "logs/"}, "Status": "Enabled", "Expiration": {"Days": 2}},
              {"ID": "off", "Filter": {"Prefix": "keep/"}, "Status": "Disabled", "Expiration": {"Days": 1}})
        written = time.time()
        for key in ("logs/old", "logs/rewritten", "keep/c", "logsX"):
            alice.put_object(Bucket=bucket, Key=key, Body=b"x")
        run_once(cluster)                                    # not due yet: nothing happens
        assert all(exists(alice, bucket, k) for k in ("logs/old", "logs/rewritten", "keep/c", "logsX"))
        time.sleep(max(0.0, written + 2 * DAY - time.time()))
        alice.put_object(Bucket=bucket, Key="logs/rewritten", Body=b"new")        # due again two days from now
        time.sleep(max(0.0, written + 3 * DAY + 0.1 - time.time()))             # past the first keys' midnight
        with Listener() as listener:
            run_once(cluster)
            heard = listener.wait(bucket, 1)
        assert not exists(alice, bucket, "logs/old")
        assert all(exists(alice, bucket, k) for k in ("logs/rewritten", "keep/c", "logsX"))
        assert [(r["eventName"], r["s3"]["object"]["key"], r["userIdentity"]["principalId"]) for r in heard] == [
            ("LifecycleExpiration:DeleteMarkerCreated", "logs/old", "lifecycle")]
        assert versions(bucket, "logs/old") == [1, 2]                 # a tombstone: the version is kept
        run_once(cluster)                                    # idempotent: nothing more
        assert versions(bucket, "logs/old") == [1, 2]

    def test_noncurrent_versions_expire_and_the_current_one_stays(self, alice, cluster):
        bucket = s3.new_bucket(alice, "lcnon")
        rules(alice, bucket, {"ID": "v", "Filter": {"Prefix": "v/"}, "Status": "Enabled",
                              "NoncurrentVersionExpiration": {"NoncurrentDays": 1}})
        for key in ("v/k", "w/k"):
            for number in range(3):
                alice.put_object(Bucket=bucket, Key=key, Body=f"{key} {number}".encode())
        alice.put_object(Bucket=bucket, Key="v/gone", Body=b"x")
        alice.delete_object(Bucket=bucket, Key="v/gone")
        time.sleep(2 * DAY + 0.1)
        run_once(cluster)
        assert versions(bucket, "v/k") == [3] and versions(bucket, "w/k") == [1, 2, 3]
        assert versions(bucket, "v/gone") == [2]                       # only its tombstone, still current
        assert alice.get_object(Bucket=bucket, Key="v/k")["Body"].read() == b"v/k 2"

    def test_incomplete_uploads_are_aborted_after_their_days(self, alice, cluster):
        bucket = s3.new_bucket(alice, "lcmpu")
        rules(alice, bucket, {"ID": "up", "Filter": {"Prefix": "up/"}, "Status": "Enabled",
                              "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}})
        stale = alice.create_multipart_upload(Bucket=bucket, Key="up/x")["UploadId"]
        alice.upload_part(Bucket=bucket, Key="up/x", UploadId=stale, PartNumber=1, Body=b"p" * 70000)
        other = alice.create_multipart_upload(Bucket=bucket, Key="other/x")["UploadId"]
        run_once(cluster)                                    # not due yet: both stay
        assert len(alice.list_multipart_uploads(Bucket=bucket).get("Uploads", [])) == 2
        time.sleep(2 * DAY + 0.1)
        run_once(cluster)
        listed = alice.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        assert [(u["Key"], u["UploadId"]) for u in listed] == [("other/x", other)]
        with pytest.raises(ClientError) as aborted:
            alice.upload_part(Bucket=bucket, Key="up/x", UploadId=stale, PartNumber=2, Body=b"p")
        assert code(aborted.value) == "NoSuchUpload"

    def test_two_workers_at_once_delete_each_key_once(self, alice, cluster):
        bucket = s3.new_bucket(alice, "lctwo")
        rules(alice, bucket, {"ID": "all", "Filter": {"Prefix": ""}, "Status": "Enabled", "Expiration": {"Days": 1}})
        keys = [f"k{n:02d}" for n in range(30)]
        for key in keys:
            alice.put_object(Bucket=bucket, Key=key, Body=b"x")
        time.sleep(2 * DAY + 0.1)
        workers = [subprocess.Popen([sys.executable, "-m", "final.lifecycle", "--once"], env=lifecycle_env(cluster),
                                    cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
        for worker in workers:
            assert worker.wait(120) == 0, worker.stderr.read()[-2000:]
        assert alice.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
        assert all(versions(bucket, key) == [1, 2] for key in keys)     # one tombstone each, never two

    def test_without_once_it_runs_every_interval_and_stops_on_sigterm(self, alice, cluster):
        bucket = s3.new_bucket(alice, "lcint")
        rules(alice, bucket, {"ID": "all", "Filter": {"Prefix": ""}, "Status": "Enabled", "Expiration": {"Days": 1}})
        worker = subprocess.Popen([sys.executable, "-m", "final.lifecycle"], cwd=REPO,
                                  env=lifecycle_env(cluster, LIFECYCLE_INTERVAL="0.5"),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1)
            alice.put_object(Bucket=bucket, Key="later", Body=b"x")      # written after its first runs
            wait_until(lambda: not exists(alice, bucket, "later"), 15, what="a later run to expire it")
        finally:
            started = time.monotonic()
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(10) == 0 and time.monotonic() - started < 5
