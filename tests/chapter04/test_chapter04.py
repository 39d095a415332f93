"""Chapter 4 (book §4.4): temp objects, content addressing, verification, deduplication.

Chapter 3's contract is inherited; the data servers now keep each content once, by hash.
"""
import concurrent.futures
import json
import os
import time
from pathlib import Path

import requests

from chapter03_metadata.common import digest
from tests import walkthrough
from tests.chapter03 import test_chapter03 as chapter3
from tests.support import error_code

README = Path(__file__).resolve().parents[2] / "chapter04_dedup" / "README.md"


class TestObjects(chapter3.TestObjects):
    pass


class TestStreaming(chapter3.TestStreaming):
    def test_chunked_upload_of_many_megabytes_round_trips(self, client):
        """Book §4.4 (D5): temp objects reserve their size, so a PUT needs a Content-Length; a
        chunked one is refused with 411 (the book stored size 0 and lost the object)."""
        data = os.urandom(1 << 20)
        response = client.put_chunked("t4-chunked", data)
        assert response.status_code == 411 and error_code(response) == "MissingContentLength"
        assert client.get("t4-chunked").status_code == 404


class TestNames(chapter3.TestNames):
    pass


class TestLocate(chapter3.TestLocate):
    pass


class TestMembership(chapter3.TestMembership):
    pass


class TestMessaging(chapter3.TestMessaging):
    pass


class TestDigest(chapter3.TestDigest):
    def plant_wrong_bytes(self, cluster, data: bytes) -> None:
        """Rewrite the file in place and give it back its time: the data server, which checked it
        once, takes it for the same good file (so only the api's check is left)."""
        (path,) = stored_files(cluster, digest.of(data))
        before = path.stat()
        with open(path, "r+b") as file:
            file.write(os.urandom(len(data)))
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


class TestVersions(chapter3.TestVersions):
    pass


def stored_files(cluster, h: str) -> list[Path]:
    return [f for p in cluster.data_servers for f in (Path(p.root) / "objects").iterdir()
            if f.name.startswith(digest.key(h))]


def temp_files(cluster) -> list[Path]:
    return [f for p in cluster.data_servers for f in (Path(p.root) / "temp").iterdir()]


class TestDedup:
    """Each content is stored once; a PUT must prove it has the content."""
    copies = 1      # files one stored content takes (chapter 5: six shards)

    def test_same_content_under_two_names_is_stored_once(self, client, cluster):
        data = b"t4 stored once " * 100
        assert client.put("t4-dup-1", data).status_code == 200
        assert client.put("t4-dup-2", data).status_code == 200
        assert len(stored_files(cluster, digest.of(data))) == self.copies
        assert client.get("t4-dup-1").content == client.get("t4-dup-2").content == data

    def test_dedup_with_a_wrong_body_is_400_and_adds_no_version(self, client):
        data = b"t4 the real content"
        client.put("t4-owner", data)
        forged = client.put("t4-thief", b"t4 something else!!", headers={"Digest": f"SHA-256={digest.of(data)}"})
        assert forged.status_code == 400 and error_code(forged) == "BadDigest"
        assert client.get("t4-thief").status_code == 404
        assert requests.get(client.url("t4-thief", "versions"), timeout=10).text == ""

    def test_a_size_lie_cannot_truncate_the_content(self, client):
        data = b"this object will have only 1 instance"
        client.put("t4-sized", data)
        lie = client.put("t4-sized", b"x", headers={"Digest": f"SHA-256={digest.of(data)}"})
        assert lie.status_code == 400
        assert client.get("t4-sized").content == data
        sizes = [json.loads(l)["Size"] for l in requests.get(client.url("t4-sized", "versions"), timeout=10).text.split()]
        assert sizes == [len(data)]

    def test_two_concurrent_puts_of_the_same_new_content_both_succeed(self, client):
        data = os.urandom(2 << 20)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda n: client.put(n, data), ["t4-race-a", "t4-race-b"]))
        assert [a.status_code for a in answers] == [200, 200]
        assert client.get("t4-race-a").content == data and client.get("t4-race-b").content == data

    def test_a_put_of_new_content_does_not_wait_out_the_locate_window(self, client):
        started = time.monotonic()
        assert client.put("t4-quick", os.urandom(4096)).status_code == 200
        assert time.monotonic() - started < 1.5     # LOCATE_TIMEOUT is 3 s in this cluster


class TestIntegrity:
    """Bytes that do not match their hash are never served; failures leave no temp behind."""

    def test_a_corrupted_object_is_404_and_its_file_quarantined(self, client, cluster):
        """Out of ``objects/``, into ``garbage/``: never deleted (issue 18)."""
        data = b"t4 soon corrupt " * 10
        client.put("t4-corrupt", data)
        (path,) = stored_files(cluster, digest.of(data))
        path.write_bytes(b"t4 garbage")
        response = client.get("t4-corrupt")
        assert response.status_code == 404
        assert not path.exists()
        assert (path.parent.parent / "garbage" / path.name).read_bytes() == b"t4 garbage"

    def test_a_deleted_file_is_not_reported_by_locate(self, client, cluster):
        data = b"t4 vanishing"
        client.put("t4-vanish", data)
        (path,) = stored_files(cluster, digest.of(data))
        path.unlink()
        assert requests.get(client.url(digest.key(digest.of(data)), "locate"), timeout=10).status_code == 404
        assert client.get("t4-vanish").status_code == 404

    def test_rejected_puts_leave_nothing_in_temp(self, client, cluster):
        client.put("t4-rejected", b"abc", headers={"Digest": f"SHA-256={digest.of(b'abd')}"})
        client.put("t4-rejected", os.urandom(1 << 20), headers={"Digest": f"SHA-256={digest.of(b'abd')}"})
        time.sleep(0.3)
        assert temp_files(cluster) == []


class TestTempEndpoints:
    """The data server's temp protocol refuses what could escape STORAGE_ROOT or fill the disk."""
    suffix = ""     # what follows the key in a temp name (chapter 5: the shard index)

    def test_temp_round_trip_commits_into_objects(self, cluster):
        server = cluster.data_servers[0]
        data = b"t4 temp protocol"
        key = digest.key(digest.of(data))
        base = f"http://{server.address}/temp/"
        uuid = requests.post(base + key + self.suffix, headers={"size": str(len(data))}, timeout=10).text
        assert requests.patch(base + uuid, data=data[:5], timeout=10).status_code == 200
        assert requests.patch(base + uuid, data=data[5:], timeout=10).status_code == 200
        assert requests.put(base + uuid, timeout=10).status_code == 200
        (stored,) = (Path(server.root) / "objects").glob(key + self.suffix + "*")
        assert stored.read_bytes() == data
        assert requests.get(f"http://{server.address}/objects/{key}{self.suffix}", timeout=10).content == data

    def test_bad_uuids_and_names_are_400(self, cluster):
        server = cluster.data_servers[0]
        base = f"http://{server.address}/temp/"
        for method, path in [("PATCH", "not-a-uuid"), ("PUT", "..%2F..%2Fetc%2Fpasswd"),
                             ("DELETE", "%2E%2E"), ("PATCH", "D4E4525D-D63D-4CD8-A8DA-DA2314930126")]:
            assert requests.request(method, base + path, data=b"x", timeout=10).status_code == 400, path
        for name in ["..%2F..%2Fescape", "short", "%2Ftmp%2Fescape" + "A" * 30]:
            assert requests.post(base + name, headers={"size": "1"}, timeout=10).status_code == 400, name
        assert not list(Path(cluster.root).glob("**/*escape*")) and not list(Path("/tmp").glob("escape*"))

    def test_overflowing_patch_is_refused_and_the_temp_dropped(self, cluster):
        server = cluster.data_servers[0]
        base = f"http://{server.address}/temp/"
        uuid = requests.post(base + "A" * 43 + self.suffix, headers={"size": "10"}, timeout=10).text
        response = requests.patch(base + uuid, data=b"x" * (4 << 20), timeout=10)
        assert response.status_code == 413
        assert not list((Path(server.root) / "temp").glob(uuid + "*"))

    def test_commit_of_content_that_does_not_match_its_name_is_refused(self, cluster):
        server = cluster.data_servers[0]
        base = f"http://{server.address}/temp/"
        key = digest.key(digest.of(b"expected"))
        uuid = requests.post(base + key, headers={"size": "8"}, timeout=10).text
        requests.patch(base + uuid, data=b"imposter", timeout=10)
        assert requests.put(base + uuid, timeout=10).status_code == 400
        assert not (Path(server.root) / "objects" / key).exists()

    def test_objects_no_longer_accept_put(self, cluster):
        server = cluster.data_servers[0]
        response = requests.put(f"http://{server.address}/objects/{'A' * 43}", data=b"x", timeout=10)
        assert response.status_code == 405


class TestHostileClients(chapter3.TestHostileClients):
    """Chapter 3's, re-checked against chapter 4."""


def test_readme_walkthrough(cluster):
    walkthrough.run(README)
