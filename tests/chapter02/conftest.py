"""Chapter 2: six data servers and two api servers against the real RabbitMQ."""
import pytest

from tests.support import ObjectClient, require_rabbitmq, start_cluster

CHAPTER = 2


@pytest.fixture(scope="package")
def cluster():
    require_rabbitmq()
    cluster = start_cluster(CHAPTER)
    yield cluster
    cluster.down()


@pytest.fixture(scope="package")
def front(cluster):
    """The first api server, where clients send their requests."""
    return cluster.api_servers[0].address


@pytest.fixture(scope="package")
def client(front):
    return ObjectClient(front)
