"""Chapter 3: chapter 2's cluster plus Elasticsearch, on an index of the tests' own."""
import os

import requests

from tests.support import ObjectClient, chapter_fixtures, es_url, require_es, require_rabbitmq, start_cluster

CHAPTER = 3
INDEX = os.environ.get("TEST_ES_INDEX", "test-metadata")


def drop_index(index: str = INDEX) -> None:
    for name in (index, f"{index}-heads"):
        requests.delete(f"{es_url()}/{name}", timeout=30)


class DigestClient(ObjectClient):
    """Chapter 3 clients send ``Digest: SHA-256=<base64>``; data servers keep content by hash."""

    def headers_for(self, data: bytes) -> dict:
        from chapter03_metadata.common import digest
        return {"Digest": f"SHA-256={digest.of(data)}"}

    def stored_name(self, name: str, data: bytes) -> str:
        from chapter03_metadata.common import digest
        return digest.key(digest.of(data))


def chapter_cluster(chapter: int, **env):
    """A fresh cluster of ``chapter`` on a fresh test index."""
    require_rabbitmq()
    require_es()
    drop_index()
    return start_cluster(chapter, ES_INDEX=INDEX, **env)


cluster, front, client = chapter_fixtures(lambda: chapter_cluster(CHAPTER), DigestClient, drop_index)
