"""Chapter 1: one server process on 127.0.1.1:12345."""
import pytest

from tests.support import ObjectClient, start_cluster


@pytest.fixture(scope="package")
def cluster():
    cluster = start_cluster(1)
    yield cluster
    cluster.down()


@pytest.fixture(scope="package")
def front(cluster):
    """The address clients talk to: here the single server."""
    return cluster.data_servers[0].address


@pytest.fixture(scope="package")
def client(front):
    return ObjectClient(front)
