"""Chapter 7 (book §4.7): gzip at rest and on download; everything of chapters 2-6 still works.

Chapter 6's contract (resumable upload, ranges, repair, dedup) is inherited unchanged: the book's
chapter 7 lost the resumable temp endpoints (D3), these tests prove they are here.
"""
import base64
import concurrent.futures
import gzip
import hashlib
import os
import subprocess
import time
from pathlib import Path

import pytest
import requests

from chapter03_metadata.common import digest
from tests import walkthrough
from tests.chapter04 import test_chapter04 as chapter4
from tests.chapter05.test_chapter05 import K251_SHARD_HASHES, shard_bytes, shard_files
from tests.chapter06 import test_chapter06 as chapter6
from tests.chapter07.conftest import LEGACY
from tests.support import slow_put

README = Path(__file__).resolve().parents[2] / "chapter07_gzip" / "README.md"


class TestObjects(chapter6.TestObjects):
    """Chapter 6's, re-checked against chapter 7."""


class TestStreaming(chapter6.TestStreaming):
    def test_get_has_exact_content_length(self, client):
        """Book §4.7: a client that accepts gzip (requests does) gets a gzip body: a plain object's
        is compressed on the fly, without a length; a packed object's is its stored stream, with
        its exact length. One that asks for identity still gets the object's Content-Length."""
        plain, packed = os.urandom(12345), b"x" * 12345
        for name, data in (("t7-length-plain", plain), ("t7-length-packed", packed)):
            client.put(name, data)
            assert client.get(name, headers={"Accept-Encoding": "identity"}).headers["Content-Length"] == "12345"
        assert "Content-Length" not in client.get("t7-length-plain", headers={"Accept-Encoding": "gzip"}).headers
        with requests.get(client.url("t7-length-packed"), headers={"Accept-Encoding": "gzip"}, stream=True,
                          timeout=10) as answer:
            body = answer.raw.read(decode_content=False)
        assert answer.headers["Content-Encoding"] == "gzip" and answer.headers["Content-Length"] == str(len(body))
        assert gzip.decompress(body) == packed and len(body) < 200


class TestNames(chapter6.TestNames):
    """Chapter 6's, re-checked against chapter 7."""


class TestDigest(chapter6.TestDigest):
    """Chapter 6's, re-checked against chapter 7."""


class TestVersions(chapter6.TestVersions):
    """Chapter 6's, re-checked against chapter 7."""


class TestMessaging(chapter6.TestMessaging):
    """Chapter 6's, re-checked against chapter 7."""


class TestDedup(chapter6.TestDedup):
    """Chapter 6's, re-checked against chapter 7."""


class TestTempEndpoints(chapter6.TestTempEndpoints):
    """Chapter 6's, re-checked against chapter 7."""


class TestLocate(chapter6.TestLocate):
    """Chapter 6's, re-checked against chapter 7."""


class TestMembership(chapter6.TestMembership):
    """Chapter 6's, re-checked against chapter 7."""


class TestIntegrity(chapter6.TestIntegrity):
    """Chapter 6's, re-checked against chapter 7."""


class TestShards(chapter6.TestShards):
    def test_the_100000_byte_vector_has_the_books_shard_hashes(self, client, cluster):
        """Chapter 7 packs a compressible whole-object PUT (README): uploaded resumably, which
        stays plain, the §7.2 vector still gets the book's shards (kept gzipped at rest)."""
        data = bytes(k % 251 for k in range(100000))
        location = chapter6.start_upload(client, "t7-k251", data)
        assert chapter6.send(client.base, location, data, 0).status_code == 200
        files = shard_files(cluster, data)
        assert [base64.b64encode(hashlib.sha256(shard_bytes(files[i])).digest()).decode() for i in range(6)] \
            == K251_SHARD_HASHES
        assert client.get("t7-k251").content == data


class TestResumableUpload(chapter6.TestResumableUpload):
    """Chapter 6's, re-checked against chapter 7."""


class TestTokens(chapter6.TestTokens):
    """Chapter 6's, re-checked against chapter 7."""


class TestTempVersions(chapter6.TestTempVersions):
    """Chapter 6's, re-checked against chapter 7."""


class TestRanges(chapter6.TestRanges):
    """Chapter 6's, re-checked against chapter 7."""



class TestCompressionAtRest:
    """Shards shrink when they can, never grow, and both formats read back."""

    def test_compressible_data_is_stored_as_small_gzip_shards(self, client, cluster):
        """Uploaded resumably (so not packed), text is kept as the book's gzip shard files."""
        data = b"2026-11-22 04:00:00 INFO request served in 3 ms\n" * 100000
        location = chapter6.start_upload(client, "t7-text", data)
        assert chapter6.send(client.base, location, data, 0).status_code == 200
        files = shard_files(cluster, data)
        assert all(f.name.endswith(".gz") for f in files.values())
        assert sum(f.stat().st_size for f in files.values()) < len(data) * 1.5 * 0.05
        assert gzip.decompress(files[0].read_bytes())[:8000] == data[:8000]      # the book's format: gzip
        assert client.get("t7-text").content == data

    def test_a_compressible_put_is_packed_and_all_six_shards_are_small(self, client, cluster):
        """Gzipped before it is encoded, so the parity shards shrink too; the data shards, block
        by block, are one gzip stream of the object."""
        data = b"".join(b"2026-11-22 04:%02d:%02d INFO request %d served\n" % (k // 60 % 60, k % 60, k)
                        for k in range(200000))
        client.put("t7-packed", data)
        files = shard_files(cluster, data)
        shards = [shard_bytes(files[i]) for i in range(6)]
        assert len(set(map(len, shards))) == 1 and len(shards[0]) * 4 < len(data) * 0.2
        stream = b"".join(shards[i][at:at + 8000] for at in range(0, len(shards[0]), 8000) for i in range(4))
        assert gzip.decompress(stream) == data
        assert client.get("t7-packed").content == data
        assert client.get("t7-packed", headers={"Range": "bytes=1000000-1000099"}).content == data[1000000:1000100]

    def test_incompressible_data_is_never_stored_larger_than_plain(self, client, cluster):
        data = os.urandom(1 << 20)
        client.put("t7-random", data)
        files = shard_files(cluster, data)
        assert all(f.stat().st_size == len(data) // 4 for f in files.values())
        assert client.get("t7-random").content == data

    def test_shards_written_by_chapter_6_code_are_served_unchanged(self, client, cluster):
        for name, data in LEGACY.items():
            assert client.get(name).content == data
        for path, content in cluster.legacy_files.items():
            assert path.read_bytes() == content

    def test_a_corrupt_compressed_shard_is_removed_and_repaired(self, client, cluster):
        data = b"compress me, then break me " * 20000
        client.put("t7-broken", data)
        path = shard_files(cluster, data)[3]
        raw = bytearray(path.read_bytes())
        raw[len(raw) // 2] ^= 0x55
        path.write_bytes(bytes(raw))
        assert client.get("t7-broken").content == data
        from tests.support import wait_until
        wait_until(lambda: 3 in shard_files(cluster, data) and shard_files(cluster, data)[3].read_bytes() != bytes(raw),
                   10, what="the repair")


class TestForms:
    """Plain and packed shards of one content are named apart and never read together (issue 18)."""

    def test_both_forms_of_one_content_stored_at_once_are_never_mixed(self, client, cluster):
        """A PUT (packed) and a resumable upload (plain) of the same bytes, racing: both commit.
        Reads then took each shard from whichever server answered first and decoded a mix; the
        failing reads kept committing "repairs"."""
        data = b"".join(b"%06d the same log line, over and over\n" % k for k in range(8000))
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            put = pool.submit(slow_put, client, "t7-form-put", data, 3)
            time.sleep(0.5)                     # the PUT found nothing stored and writes its packed temps
            location = chapter6.start_upload(client, "t7-form-resumable", data)
            assert chapter6.send(client.base, location, data, 0).status_code == 200      # plain, committed
            assert put.result() == 200                                                      # packed, committed
        files = chapter4.stored_files(cluster, digest.of(data))
        assert len([f for f in files if ".p." in f.name]) == 6 and len(files) == 12
        for _ in range(10):
            for name in ("t7-form-put", "t7-form-resumable"):
                assert client.get(name, headers={"Accept-Encoding": "identity"}).content == data
        time.sleep(1)
        assert len(chapter4.stored_files(cluster, digest.of(data))) == 12         # nothing "repaired"


class TestDownloadCompression:
    """Accept-Encoding with q-values; gzip only on whole 200s; Vary always."""

    @pytest.fixture(scope="class")
    @classmethod
    def stored(cls, client):
        data = b"download me compressed, please\n" * 30000
        client.put("t7-download", data)
        return data

    @pytest.mark.parametrize("accept", ["gzip", "gzip, deflate", "deflate, gzip;q=0.5", "*", "x-gzip", "GZip"])
    def test_a_client_that_accepts_gzip_gets_gzip(self, client, stored, accept):
        response = client.get("t7-download", headers={"Accept-Encoding": accept}, stream=True)
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response.headers["Vary"]
        assert gzip.decompress(response.raw.read()) == stored

    @pytest.mark.parametrize("accept", ["identity", "gzip;q=0", "*;q=0", "deflate", "*, gzip;q=0", ""])
    def test_a_client_that_refuses_gzip_gets_identity(self, client, stored, accept):
        response = client.get("t7-download", headers={"Accept-Encoding": accept}, stream=True)
        assert "Content-Encoding" not in response.headers
        assert response.raw.read() == stored and "Accept-Encoding" in response.headers["Vary"]

    def test_a_range_is_never_gzipped(self, client, stored):
        response = client.get("t7-download", headers={"Accept-Encoding": "gzip", "Range": "bytes=10-99"}, stream=True)
        assert response.status_code == 206 and "Content-Encoding" not in response.headers
        assert response.raw.read() == stored[10:100]

    def test_curl_compressed_works(self, client, stored):
        done = subprocess.run(["curl", "-s", "--compressed", "-D", "-", client.url("t7-download")],
                              capture_output=True, check=True)
        head, _, body = done.stdout.partition(b"\r\n\r\n")
        assert b"content-encoding: gzip" in head.lower() and body == stored


class TestHostileClients(chapter6.TestHostileClients):
    """Chapter 6's, re-checked against chapter 7."""


def test_readme_walkthrough(cluster):
    walkthrough.run(README)
