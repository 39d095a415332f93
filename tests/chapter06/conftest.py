"""Chapter 6: chapter 5's cluster with resumable uploads and ranged reads."""
from tests.chapter03.conftest import INDEX, DigestClient, chapter_cluster, drop_index
from tests.support import chapter_fixtures, es_url

import requests


def cleanup():
    drop_index()
    requests.delete(f"{es_url()}/{INDEX}-config", timeout=30)


cluster, front, client = chapter_fixtures(lambda: chapter_cluster(6, LOCATE_TIMEOUT="3"), DigestClient, cleanup)
