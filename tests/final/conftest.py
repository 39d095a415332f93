"""final/: the integrated store, twice on loopback.

``cluster``: final/ as it runs by default (objects up to SMALL_OBJECT_LIMIT kept whole, as three
replicas in containers), on the usual addresses. ``shard_cluster``: final/ with
``SMALL_OBJECT_LIMIT=0``, so that every object takes chapter 8's path (shard files), on port 12346
with a RabbitMQ vhost of its own; chapter 8's test classes that look at shard files run there
(``OnShards``), so that every chapter's contract, layout included, is re-checked against final/'s
code. Like chapters 7 and 8, that cluster's folders are first written by chapter 6's servers.
Both share the test index. The S3 users of ``cluster`` are ``objstore`` (the README's default
keys), ``alice`` and ``bob`` (``tests/final/s3.py``).
"""
from pathlib import Path

import pytest
import requests

from scripts.cluster import DEFAULT_ROOT, FINAL
from tests.chapter03.conftest import INDEX, DigestClient, chapter_cluster
from tests.chapter06.conftest import cleanup
from tests.chapter07.conftest import start
from tests.final import s3
from tests.final.s3 import users_file
from tests.support import chapter_fixtures, ensure_vhost, es_url, start_cluster

SHARD_PORT = 12346
WEBHOOK_HOSTS = "127.0.0.1,localhost"     # the api's; the notifier of tests/final/test_events.py allows 127.0.0.1 only
S3_INDICES = (f"{INDEX}-s3", f"{INDEX}-s3-heads", f"{INDEX}-buckets", f"{INDEX}-uploads", f"{INDEX}-parts")


def drop_s3_indices() -> None:
    for name in S3_INDICES:
        requests.delete(f"{es_url()}/{name}", timeout=30)


def start_final():
    """containers of 1 MiB: the tests see containers fill, roll over and get compacted; logs in JSON
(LOG_FORMAT=json: tests/final/test_metrics.py reads them); multipart
parts of 64 KiB and more; webhooks on this machine."""
    drop_s3_indices()
    return chapter_cluster(FINAL, LOCATE_TIMEOUT="3", CONTAINER_SIZE="1048576", S3_USERS_FILE=users_file(),
                           MULTIPART_MIN_PART="65536", WEBHOOK_ALLOWED_HOSTS=WEBHOOK_HOSTS, LOG_FORMAT="json")


def cleanup_final() -> None:
    cleanup()
    drop_s3_indices()


cluster, front, client = chapter_fixtures(start_final, DigestClient, cleanup_final)


@pytest.fixture(scope="package")
def shard_cluster():
    """(Started after ``cluster`` in a whole run: the classes on the default cluster come first, and
    its start drops the test index; this one never does.)"""
    env = {"ES_INDEX": INDEX, "LOCATE_TIMEOUT": "3", "RABBITMQ_SERVER": ensure_vhost("final-shards")}
    running = start(FINAL, lambda: start_cluster(6, Path(DEFAULT_ROOT + "-shards"), SHARD_PORT, **env),
                    SMALL_OBJECT_LIMIT="0")
    yield running
    running.down()


@pytest.fixture(scope="package")
def shard_client(shard_cluster):
    return DigestClient(shard_cluster.api_servers[0].address)


class OnShards:
    """A test class mixed with this runs on ``shard_cluster`` (every object as shard files)."""

    @pytest.fixture(scope="class")
    @classmethod
    def cluster(cls, shard_cluster):
        return shard_cluster

    @pytest.fixture(scope="class")
    @classmethod
    def client(cls, shard_client):
        return shard_client

    @pytest.fixture(scope="class")
    @classmethod
    def front(cls, shard_client):
        return shard_client.base[len("http://"):]


@pytest.fixture(scope="package")
def alice(front):
    """boto3 as the S3 user alice (and ``bob``: another user)."""
    return s3.client(front, "alice")


@pytest.fixture(scope="package")
def bob(front):
    return s3.client(front, "bob")
