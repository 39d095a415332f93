"""Chapter 4: content-addressed data servers with temp objects; a long locate window, so that a
test notices any wait for it (replies from every server must end a search early)."""
import pytest

from tests.chapter03.conftest import DigestClient, chapter_cluster, drop_index

CHAPTER = 4
LOCATE_TIMEOUT = "3"


@pytest.fixture(scope="package")
def cluster():
    cluster = chapter_cluster(CHAPTER, LOCATE_TIMEOUT=LOCATE_TIMEOUT)
    yield cluster
    cluster.down()
    drop_index()


@pytest.fixture(scope="package")
def front(cluster):
    return cluster.api_servers[0].address


@pytest.fixture(scope="package")
def client(front):
    return DigestClient(front)
