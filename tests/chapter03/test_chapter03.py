"""Chapter 3 (book §4.3): versions in Elasticsearch, Digest-verified PUT, read-after-write.

Chapter 2's contract is inherited (the client adds the Digest); contracts the book changes are
overridden here, each naming the section.
"""
import concurrent.futures
import json
import os
import signal
import time
from pathlib import Path

import pytest
import requests

from chapter03_metadata.common import digest
from tests import walkthrough
from tests.chapter02 import test_chapter02 as chapter2
from tests.chapter02.test_chapter02 import holders
from tests.support import error_code, services, wait_until

README = Path(__file__).resolve().parents[2] / "chapter03_metadata" / "README.md"


class TestObjects(chapter2.TestObjects):
    def test_second_put_replaces_the_content(self, client):
        """Book §4.3: versions make the newest PUT the one a GET returns (chapter 1's rule again)."""
        client.put("t3-replaced", b"first")
        client.put("t3-replaced", b"second, longer")
        assert client.get("t3-replaced").content == b"second, longer"


class TestStreaming(chapter2.TestStreaming):
    pass


class TestNames(chapter2.TestNames):
    """Book §4.3: names are only metadata now, so '/' is allowed (no file is named after them)."""
    traversal = [p for p in chapter2.TestNames.traversal if p not in ("/objects/a%2Fb", "/objects/" + "n" * 256)]
    traversal += ["/objects/" + "n" * 1025, "/objects/a/../b", "/objects/a/./b"]

    def test_names_with_slashes_and_lucene_operators_are_ordinary(self, client):
        for name in ["a/b", 'x+y-z:w/v*u?t(s)r"q\\p~o^n[m]l{k}j!i', "with space", "AND OR NOT", "*", "a%2Fb"]:
            data = f"content of {name}".encode()
            assert client.put(name, data).status_code == 200, name
            assert client.get(name).content == data, name
            lines = requests.get(client.url(name, "versions"), timeout=10).text.splitlines()
            assert [json.loads(line)["Name"] for line in lines] == [name], name

    def test_similar_names_never_see_each_other(self, client):
        client.put("t3-sim", b"plain")
        client.put("t3-sim*", b"star")
        client.put("T3-SIM", b"upper")
        assert client.get("t3-sim").content == b"plain"
        assert client.get("t3-sim*").content == b"star"
        assert len(requests.get(client.url("t3-sim", "versions"), timeout=10).text.splitlines()) == 1


class TestLocate(chapter2.TestLocate):
    def test_locate_takes_the_books_escaped_hash(self, client, cluster):
        data = next(d for d in (b"t3 slash %d" % i for i in range(100)) if "/" in digest.of(d))
        client.put("t3-locate-book", data)
        h = digest.of(data)
        response = requests.get(f"{client.base}/locate/{h.replace('/', '%2F')}", timeout=10)
        assert response.status_code == 200
        assert response.json() == holders(cluster, digest.key(h))[0].address

    def test_locate_of_something_that_is_not_a_hash_is_400(self, client):
        assert client.raw("GET", "/locate/GYqqAdFPt+CScnUDc0%2FGcu3kwcWmOADKNYpiZtdbgs=").status_code == 400


class TestMembership(chapter2.TestMembership):
    pass


class TestMessaging(chapter2.TestMessaging):
    pass


class TestDigest:
    """PUT needs a correct Digest; the body is verified while it streams."""

    def test_put_without_digest_is_400(self, client):
        response = requests.put(client.url("t3-nodigest"), data=b"x", timeout=10)
        assert response.status_code == 400 and error_code(response) == "InvalidDigest"

    @pytest.mark.parametrize("value", ["SHA-256=incorrecthash", "SHA-256=", "sha-256=" + "A" * 42 + "==",
                                       "SHA-256=" + "A" * 44, "MD5=" + "A" * 43 + "="])
    def test_malformed_digest_is_400(self, client, value):
        response = requests.put(client.url("t3-bad"), data=b"x", headers={"Digest": value}, timeout=10)
        assert response.status_code == 400 and error_code(response) == "InvalidDigest"

    def test_wrong_digest_is_400_adds_no_version_and_leaves_no_file(self, client, cluster):
        claimed = digest.of(b"what the client claims")
        for body in [b"something else", b"", os.urandom(3 << 20)]:
            response = client.put("t3-liar", body, headers={"Digest": f"SHA-256={claimed}"})
            assert response.status_code == 400 and error_code(response) == "BadDigest"
        time.sleep(0.3)
        assert holders(cluster, digest.key(claimed)) == []
        assert not [f for p in cluster.data_servers for f in (Path(p.root) / "temp").iterdir()]
        assert client.get("t3-liar").status_code == 404
        assert requests.get(client.url("t3-liar", "versions"), timeout=10).text == ""

    @pytest.mark.parametrize("header", ["Digest: sha-256={}", "Digest: MD5=x, Sha-256={}",
                                        "Content-Digest: sha-256=:{}:"])
    def test_the_algorithm_name_is_case_insensitive_and_content_digest_is_accepted(self, client, header):
        """RFC 3230 names the algorithm case-insensitively; RFC 9530's Content-Digest says the same
        (the book took only ``SHA-256=``, exactly)."""
        data = f"digest forms {header}".encode()
        name, _, value = header.partition(": ")
        answer = requests.put(client.url("t3-digest-forms"), data=data, headers={name: value.format(digest.of(data))},
                              timeout=30)
        assert answer.status_code == 200, answer.text
        assert client.get("t3-digest-forms").content == data

    def plant_wrong_bytes(self, cluster, data: bytes) -> None:
        """Make the data server holding ``data`` serve other bytes of the same length as if they were it."""
        (path,) = [f for p in cluster.data_servers for f in (Path(p.root) / "objects").iterdir()
                   if f.name == digest.key(digest.of(data))]
        path.write_bytes(os.urandom(len(data)))

    def test_bytes_that_do_not_hash_to_the_object_never_make_a_whole_answer(self, client, cluster):
        """Issue 18: a data server (or a spoofer posing as one) that serves other bytes under the
        object's Digest gets the answer cut before its last byte, never a 200 with wrong data."""
        data = os.urandom(300000)
        assert client.put("t3-planted", data).status_code == 200
        assert client.get("t3-planted").content == data
        self.plant_wrong_bytes(cluster, data)
        try:
            answer = client.get("t3-planted")
        except requests.RequestException:
            return                                     # cut short: the client knows
        assert answer.status_code != 200 or answer.content != data and len(answer.content) < len(data)

    def test_get_returns_the_digest_header(self, client):
        client.put("t3-digest-header", b"abc")
        assert client.get("t3-digest-header").headers["Digest"] == f"SHA-256={digest.of(b'abc')}"


class TestVersions:
    """Versions from 1, ?version=N, tombstones, listings, read-after-write, concurrency."""

    def versions(self, client, name=""):
        response = requests.get(client.url(name, "versions") if name else f"{client.base}/versions/", timeout=30)
        assert response.status_code == 200
        return [json.loads(line) for line in response.text.splitlines()]

    def test_versions_count_from_one_and_keep_every_content(self, client):
        for i in range(1, 4):
            assert client.put("t3-v", b"v%d" % i).headers["X-Version"] == str(i)
        assert [client.get("t3-v", params={"version": i}).content for i in (1, 2, 3)] == [b"v1", b"v2", b"v3"]
        assert self.versions(client, "t3-v") == [
            {"Name": "t3-v", "Version": i, "Size": 2, "Hash": digest.of(b"v%d" % i)} for i in (1, 2, 3)]

    def test_missing_version_is_404_and_bad_version_is_400(self, client):
        client.put("t3-missing-version", b"only one")
        for missing in (2, 99999999999999):
            assert client.get("t3-missing-version", params={"version": missing}).status_code == 404
        for bad in ("abc", "-1", "1.5", "²", "٣"):
            assert client.get("t3-missing-version", params={"version": bad}).status_code == 400, bad

    def test_delete_writes_a_tombstone_and_old_versions_stay_readable(self, client):
        client.put("t3-del", b"one")
        client.put("t3-del", b"two")
        assert requests.delete(client.url("t3-del"), timeout=10).status_code == 200
        assert client.get("t3-del").status_code == 404
        assert self.versions(client, "t3-del")[-1] == {"Name": "t3-del", "Version": 3, "Size": 0, "Hash": ""}
        assert client.get("t3-del", params={"version": 1}).content == b"one"
        assert client.get("t3-del", params={"version": 3}).status_code == 404

    def test_delete_of_unknown_or_deleted_name_is_404(self, client):
        assert requests.delete(client.url("t3-never"), timeout=10).status_code == 404
        client.put("t3-twice", b"x")
        assert requests.delete(client.url("t3-twice"), timeout=10).status_code == 200
        assert requests.delete(client.url("t3-twice"), timeout=10).status_code == 404

    def test_put_after_delete_revives_the_name(self, client):
        client.put("t3-revive", b"old")
        requests.delete(client.url("t3-revive"), timeout=10)
        client.put("t3-revive", b"new")
        assert client.get("t3-revive").content == b"new"

    def test_every_get_right_after_a_put_sees_the_new_version(self, client, cluster):
        other = type(client)(cluster.api_servers[1].address)
        for i in range(60):
            data = b"read after write %d" % i
            assert client.put("t3-raw", data).status_code == 200
            reader = client if i % 2 else other
            assert reader.get("t3-raw").content == data, i
            assert self.versions(reader, "t3-raw")[-1]["Version"] == i + 1

    def test_delete_right_after_put_of_a_new_name_succeeds(self, client):
        for i in range(10):
            client.put(f"t3-fresh-{i}", b"fresh")
            assert requests.delete(client.url(f"t3-fresh-{i}"), timeout=10).status_code == 200

    def test_twenty_concurrent_puts_of_one_name_get_versions_1_to_20(self, client):
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(lambda i: client.put("t3-race", b"racer %d" % i), range(20)))
        assert all(a.status_code == 200 for a in answers), [(a.status_code, a.text[:200]) for a in answers if a.status_code != 200]
        assert sorted(int(a.headers["X-Version"]) for a in answers) == list(range(1, 21))
        assert [v["Version"] for v in self.versions(client, "t3-race")] == list(range(1, 21))

    def test_listing_all_names_includes_every_name(self, client):
        client.put("t3-all-a", b"a")
        client.put("t3-all-b", b"b")
        names = {v["Name"] for v in self.versions(client)}
        assert {"t3-all-a", "t3-all-b"} <= names

    def test_listing_pages_past_the_first_thousand(self, client, cluster):
        from chapter03_metadata.common.es import Metadata
        from tests.chapter03.conftest import INDEX
        from tests.support import ES
        metadata = Metadata(ES, INDEX)
        h = digest.of(b"many")
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: metadata.add_version("t3-many", h, 4), range(2100)))
        assert [v["Version"] for v in self.versions(client, "t3-many")] == list(range(1, 2101))


class TestElasticsearchOutage:
    """Elasticsearch down or hung: a quick 503 JSON, and service resumes by itself."""

    def test_hung_elasticsearch_gives_503_within_seconds_and_recovers(self, client):
        client.put("t3-outage", b"before")
        pid = int(os.popen("bash scripts/services.sh es-pid").read().strip())
        os.kill(pid, signal.SIGSTOP)
        try:
            for call in (lambda: client.put("t3-outage", b"during"), lambda: client.get("t3-outage"),
                         lambda: requests.get(client.url("t3-outage", "versions"), timeout=30),
                         lambda: requests.delete(client.url("t3-outage"), timeout=30)):
                started = time.monotonic()
                response = call()
                assert response.status_code == 503 and error_code(response) == "ServiceUnavailable"
                assert time.monotonic() - started < 5
        finally:
            os.kill(pid, signal.SIGCONT)
        wait_until(lambda: client.get("t3-outage").status_code == 200, 30, what="recovery")
        assert client.put("t3-outage", b"after").status_code == 200
        assert client.get("t3-outage").content == b"after"

    def test_stopped_elasticsearch_gives_503_and_comes_back(self, client):
        client.put("t3-stopped", b"before")
        services("stop-es")
        try:
            response = client.get("t3-stopped")
            assert response.status_code == 503 and error_code(response) == "ServiceUnavailable"
        finally:
            services("start-es")
        wait_until(lambda: client.get("t3-stopped").status_code == 200, 60, what="recovery")
        assert client.get("t3-stopped").content == b"before"


class TestHostileClients(chapter2.TestHostileClients):
    """Chapter 2's, re-checked against chapter 3."""


def test_readme_walkthrough(cluster):
    walkthrough.run(README)
