"""final/: the integrated store, twice on loopback.

``cluster``: final/ as it runs by default (objects up to SMALL_OBJECT_LIMIT kept whole, as three
replicas in containers), on the usual addresses. ``shard_cluster``: final/ with
``SMALL_OBJECT_LIMIT=0``, so that every object takes chapter 8's path (shard files), on port 12346
with a RabbitMQ vhost of its own; chapter 8's test classes that look at shard files run there
(``OnShards``), so that every chapter's contract, layout included, is re-checked against final/'s
code. Like chapters 7 and 8, that cluster's folders are first written by chapter 6's servers.
Both share the test index.
"""
from pathlib import Path

import pytest

from scripts.cluster import DEFAULT_ROOT, FINAL
from tests.chapter03.conftest import INDEX, DigestClient, chapter_cluster
from tests.chapter06.conftest import cleanup
from tests.chapter07.conftest import start
from tests.support import chapter_fixtures, ensure_vhost, start_cluster

SHARD_PORT = 12346

# containers of 1 MiB: the tests see containers fill, roll over and get compacted
cluster, front, client = chapter_fixtures(lambda: chapter_cluster(FINAL, LOCATE_TIMEOUT="3", CONTAINER_SIZE="1048576"),
                                          DigestClient, cleanup)


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
    def cluster(self, shard_cluster):
        return shard_cluster

    @pytest.fixture(scope="class")
    def client(self, shard_client):
        return shard_client

    @pytest.fixture(scope="class")
    def front(self, shard_client):
        return shard_client.base[len("http://"):]
