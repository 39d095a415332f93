"""Chapter 5: six data servers holding Reed-Solomon 4+2 shards."""
import pytest

from tests.chapter03.conftest import DigestClient, chapter_cluster, drop_index

CHAPTER = 5


@pytest.fixture(scope="package")
def cluster():
    cluster = chapter_cluster(CHAPTER, LOCATE_TIMEOUT="3")
    yield cluster
    cluster.down()
    drop_index()


@pytest.fixture(scope="package")
def front(cluster):
    return cluster.api_servers[0].address


@pytest.fixture(scope="package")
def client(front):
    return DigestClient(front)
