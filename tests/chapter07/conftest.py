"""Chapter 7: compressed shards. The data folders are first written by chapter 6's servers, then
served by chapter 7's (D19: older shards must never be taken for corrupt ones)."""
import os
from pathlib import Path

from scripts.cluster import Cluster
from tests.chapter03.conftest import DigestClient, chapter_cluster
from tests.chapter06.conftest import cleanup
from tests.support import chapter_fixtures

LEGACY = {"t7-legacy-text": b"written by chapter 6 code\n" * 4000, "t7-legacy-random": os.urandom(100003)}


def start(chapter: int = 7, first=None, **env):
    """A chapter 6 cluster writes ``LEGACY``, then ``chapter``'s servers (with ``env`` added) take over
    its folders (``first()`` starts that chapter 6 cluster, by default on a fresh test index)."""
    old = first() if first else chapter_cluster(6, LOCATE_TIMEOUT="3")
    client = DigestClient(old.api_servers[0].address)
    for name, data in LEGACY.items():
        assert client.put(name, data).status_code == 200
    old.down()
    snapshot = {f: f.read_bytes() for p in old.data_servers for f in (Path(p.root) / "objects").iterdir()}
    cluster = Cluster(chapter, old.root, {**old.env, **env}, port=old.port)
    cluster.up()
    cluster.legacy_files = snapshot
    return cluster


cluster, front, client = chapter_fixtures(start, DigestClient, cleanup)
