"""final/: the integrated store (issue 19 and on).

Every chapter's contract, through chapter 8's test classes, is re-checked against final/'s servers:
the classes about the HTTP contract on final/ as it runs by default (small objects kept whole in
containers), those that look at shard files on ``shard_cluster`` (every object as shards, see the
conftest). final/'s own tests follow, each naming what it checks.
"""
import gzip
import os
from pathlib import Path

import requests

from tests import walkthrough
from tests.chapter08 import test_chapter08 as chapter8
from tests.final import containers
from tests.final.conftest import OnShards
from tests.support import FAST

REPO = Path(__file__).resolve().parents[2]


class TestObjects(chapter8.TestObjects):
    """Chapter 8's, re-checked against final/."""


class TestStreaming(chapter8.TestStreaming):
    def test_get_has_exact_content_length(self, client):
        """final/ changes §4.7's answer for small objects: kept whole, they are gzipped in memory,
        so a gzip answer has its exact length too (a big plain object's has none, as in chapter 7)."""
        data = os.urandom(12345)
        client.put("tf-length", data)
        assert client.get("tf-length", headers={"Accept-Encoding": "identity"}).headers["Content-Length"] == "12345"
        with requests.get(client.url("tf-length"), headers={"Accept-Encoding": "gzip"}, stream=True,
                          timeout=10) as answer:
            body = answer.raw.read(decode_content=False)
        assert answer.headers["Content-Encoding"] == "gzip" and answer.headers["Content-Length"] == str(len(body))
        assert gzip.decompress(body) == data


class TestNames(chapter8.TestNames):
    """Chapter 8's, re-checked against final/."""


class TestDigest(chapter8.TestDigest):
    def plant_wrong_bytes(self, cluster, data: bytes) -> None:
        """Other bytes, with CRCs that fit them, in every replica: each server serves them as good."""
        planted = os.urandom(len(data))
        for server in cluster.data_servers:
            for path, found in containers.records_of(server, data):
                containers.rewrite(path, found, planted)


class TestVersions(chapter8.TestVersions):
    """Chapter 8's, re-checked against final/."""


class TestMessaging(chapter8.TestMessaging):
    """Chapter 8's, re-checked against final/, whose api servers own a queue more: their peers'
    heartbeats (``apiPeers``); and the web view's feed (``objectEvents``), only while a page of
    events or of the cluster was asked for in the last two minutes (none here: ``test_web`` comes
    later, and checks that the feed's queue is there while watched)."""
    API_QUEUES = 2
    SHARED_QUEUES = ("notifier.events",)      # declared by every api server, kept for the notifier


class TestDedup(OnShards, chapter8.TestDedup):
    """Chapter 8's, on final/'s shard path."""


class TestTempEndpoints(OnShards, chapter8.TestTempEndpoints):
    """Chapter 8's, on final/'s shard path."""


class TestLocate(OnShards, chapter8.TestLocate):
    """Chapter 8's, on final/'s shard path."""


class TestMembership(OnShards, chapter8.TestMembership):
    """Chapter 8's, on final/'s shard path."""


class TestIntegrity(OnShards, chapter8.TestIntegrity):
    """Chapter 8's, on final/'s shard path."""


class TestShards(OnShards, chapter8.TestShards):
    """Chapter 8's, on final/'s shard path."""


class TestResumableUpload(OnShards, chapter8.TestResumableUpload):
    """Chapter 8's, on final/'s shard path."""


class TestTokens(chapter8.TestTokens):
    """Chapter 8's, re-checked against final/."""


class TestTempVersions(OnShards, chapter8.TestTempVersions):
    """Chapter 8's, on final/'s shard path."""


class TestRanges(OnShards, chapter8.TestRanges):
    """Chapter 8's, on final/'s shard path."""


class TestCompressionAtRest(OnShards, chapter8.TestCompressionAtRest):
    """Chapter 8's, on final/'s shard path."""


class TestForms(OnShards, chapter8.TestForms):
    """Chapter 8's, on final/'s shard path."""


class TestDownloadCompression(chapter8.TestDownloadCompression):
    """Chapter 8's, re-checked against final/."""


class TestDataServerDelete(OnShards, chapter8.TestDataServerDelete):
    """Chapter 8's, on final/'s shard path."""


class TestDeleteOldMetadata(chapter8.TestDeleteOldMetadata):
    """Chapter 8's, re-checked against final/."""


class TestDeleteOrphanObject(OnShards, chapter8.TestDeleteOrphanObject):
    """Chapter 8's, on final/'s shard path."""


class TestObjectScanner(OnShards, chapter8.TestObjectScanner):
    """Chapter 8's, on final/'s shard path."""


class TestHostileClients(chapter8.TestHostileClients):
    """Chapter 8's, re-checked against final/."""


def test_readme_walkthrough(cluster):
    keys = {"AWS_ACCESS_KEY_ID": "objstore", "AWS_SECRET_ACCESS_KEY": "objstore-secret", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}      # as the README says
    walkthrough.run(REPO / "final" / "README.md", env={**os.environ, **FAST, **cluster.env, **keys})
