"""Chapter 6 (book §4.6): resumable uploads with signed tokens, ranged downloads.

Chapter 5's contract is inherited unchanged.
"""
import base64
import concurrent.futures
import hashlib
import json
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from chapter03_metadata.common import digest
from chapter05_erasure.common import rs
from chapter06_resumable.common import token
from tests import walkthrough
from tests.chapter05 import test_chapter05 as chapter5
from tests.chapter04.test_chapter04 import temp_files
from tests.chapter03.conftest import INDEX
from tests.support import FAST, error_code, es_url, wait_until

README = Path(__file__).resolve().parents[2] / "chapter06_resumable" / "README.md"
REPO = Path(__file__).resolve().parents[2]


class TestObjects(chapter5.TestObjects):
    unsupported = "PATCH"      # POST opens an upload from this chapter on


class TestStreaming(chapter5.TestStreaming):
    """Chapter 5's, re-checked against chapter 6."""


class TestNames(chapter5.TestNames):
    """Chapter 5's, re-checked against chapter 6."""


class TestDigest(chapter5.TestDigest):
    """Chapter 5's, re-checked against chapter 6."""


class TestVersions(chapter5.TestVersions):
    """Chapter 5's, re-checked against chapter 6."""


class TestMessaging(chapter5.TestMessaging):
    """Chapter 5's, re-checked against chapter 6."""


class TestDedup(chapter5.TestDedup):
    """Chapter 5's, re-checked against chapter 6."""


class TestTempEndpoints(chapter5.TestTempEndpoints):
    """Chapter 5's, re-checked against chapter 6."""


class TestLocate(chapter5.TestLocate):
    """Chapter 5's, re-checked against chapter 6."""


class TestMembership(chapter5.TestMembership):
    """Chapter 5's, re-checked against chapter 6."""


class TestIntegrity(chapter5.TestIntegrity):
    """Chapter 5's, re-checked against chapter 6."""


class TestShards(chapter5.TestShards):
    """Chapter 5's, re-checked against chapter 6."""



def start_upload(client, name: str, data: bytes, address: str | None = None) -> str:
    """POST an upload; returns its Location."""
    base = f"http://{address}" if address else client.base
    response = requests.post(f"{base}/objects/{name}", timeout=30,
                             headers={"Digest": f"SHA-256={digest.of(data)}", "Size": str(len(data))})
    assert response.status_code == 201, response.text
    return response.headers["Location"]


def upload_state(location: str) -> dict:
    """What the token of ``location`` holds (servers, uuids, ...), opened with the cluster's secret
    (the api servers share it through Elasticsearch; a client cannot read it)."""
    secret = requests.get(f"{es_url()}/{INDEX}-config/_doc/upload-secret", timeout=10).json()["_source"]["value"]
    return asdict(token.verify(location[len("/temp/"):], secret.encode()))


def upload_temps(cluster, location: str) -> list[Path]:
    """The temp files of the upload behind ``location`` still on the data servers."""
    uuids = upload_state(location)["uuids"]
    return [f for f in temp_files(cluster) if f.name.split(".")[0] in uuids]


def accepted(base: str, location: str) -> int:
    response = requests.head(base + location, timeout=30)
    assert response.status_code == 200
    return int(response.headers["Content-Length"])


def send(base: str, location: str, data: bytes, offset: int) -> requests.Response:
    return requests.put(base + location, data=data[offset:], headers={"Range": f"bytes={offset}-"}, timeout=60)


def interrupted_put(address: str, location: str, data: bytes, offset: int, cut: int) -> None:
    """Send a PUT whose body stops after ``cut`` bytes: the connection just closes."""
    host, port = address.split(":")
    head = (f"PUT {location} HTTP/1.1\r\nHost: {address}\r\nRange: bytes={offset}-\r\n"
            f"Content-Length: {len(data) - offset}\r\n\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + data[offset:offset + cut])
    time.sleep(0.2)


class TestResumableUpload:
    """POST opens, HEAD tells, PUT continues; any api server; nothing acknowledged is lost."""

    def test_upload_through_two_api_servers_completes_and_reads_back(self, client, cluster):
        data = os.urandom(300000)
        one, two = (f"http://{p.address}" for p in cluster.api_servers)
        location = start_upload(client, "t6-two", data)
        assert accepted(two, location) == 0
        first = requests.put(one + location, data=data[:100000], timeout=30)
        assert first.status_code == 200 and first.headers["Upload-Offset"] == "96000"
        assert accepted(two, location) == 96000
        assert send(two, location, data, 96000).status_code == 200
        assert requests.head(one + location, timeout=30).status_code == 404
        assert client.get("t6-two").content == data

    def test_interrupted_at_random_offsets_and_resumed_until_complete(self, client, cluster):
        data = os.urandom(5 << 20)
        location = start_upload(client, "t6-interrupted", data)
        address = cluster.api_servers[0].address
        rounds, rng = 0, random.Random(6)
        while (offset := accepted(client.base, location)) < len(data) and rounds < 20:
            rounds += 1
            if rounds % 3:
                interrupted_put(address, location, data, offset, rng.randrange(1, len(data) - offset))
            else:
                cut = rng.randrange(1, len(data) - offset + 1)
                answer = requests.put(client.base + location, data=data[offset:offset + cut], timeout=60,
                                      headers={"Range": f"bytes={offset}-"})
                assert answer.status_code == 200
                assert int(answer.headers["Upload-Offset"]) == accepted(client.base, location) if \
                    offset + cut < len(data) else True
        if accepted(client.base, location) < len(data):
            assert send(client.base, location, data, accepted(client.base, location)).status_code == 200
        got = client.get("t6-interrupted").content
        assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()

    def test_hashes_with_slash_and_plus_are_readable_by_name(self, client):
        """D1: the book recorded the escaped hash and lost about half of such objects."""
        samples = (b"t6 d1 %d" % i for i in range(10000))
        picked = [d for d in samples if "/" in digest.of(d) and "+" in digest.of(d)][:3]
        for i, data in enumerate(picked):
            location = start_upload(client, f"t6-d1-{i}", data)
            assert send(client.base, location, data, 0).status_code == 200
            assert client.get(f"t6-d1-{i}").content == data
            versions = requests.get(client.url(f"t6-d1-{i}", "versions"), timeout=10).json()
            assert versions["Hash"] == digest.of(data)

    def test_wrong_content_is_400_and_drops_the_upload(self, client, cluster):
        data = os.urandom(70000)
        location = start_upload(client, "t6-wrong", data)
        answer = send(client.base, location, os.urandom(70000), 0)
        assert answer.status_code == 400 and error_code(answer) == "BadDigest"
        assert requests.head(client.base + location, timeout=30).status_code == 404
        assert client.get("t6-wrong").status_code == 404
        assert upload_temps(cluster, location) == []

    def test_wrong_content_sent_through_two_api_servers_is_400_too(self, client, cluster):
        """The api that takes the last piece did not see the first: it reads the shards back."""
        data = os.urandom(200000)
        one, two = (f"http://{p.address}" for p in cluster.api_servers)
        location = start_upload(client, "t6-wrong-two", data)
        assert requests.put(one + location, data=data[:96000], timeout=30).headers["Upload-Offset"] == "96000"
        answer = send(two, location, data[:96000] + os.urandom(len(data) - 96000), 96000)
        assert answer.status_code == 400 and error_code(answer) == "BadDigest"
        assert client.get("t6-wrong-two").status_code == 404
        assert upload_temps(cluster, location) == []

    def test_a_wrong_offset_is_416_and_too_much_data_is_400(self, client):
        data = os.urandom(64000)
        location = start_upload(client, "t6-offsets", data)
        answer = send(client.base, location, data, 32000)
        assert answer.status_code == 416 and answer.headers["Content-Range"] == "bytes */0"
        too_much = requests.put(client.base + location, data=data + b"extra", timeout=30)
        assert too_much.status_code == 400
        assert send(client.base, location, data, 0).status_code == 200

    @pytest.mark.parametrize("size", ["", "abc", "-1", "1.5"])
    def test_post_with_a_bad_size_is_400(self, client, size):
        response = requests.post(client.url("t6-size"), headers={"Size": size, "Digest": f"SHA-256={digest.of(b'x')}"},
                                 timeout=10)
        assert response.status_code == 400

    def test_post_without_a_digest_is_400(self, client):
        assert requests.post(client.url("t6-nodigest"), headers={"Size": "5"}, timeout=10).status_code == 400

    def test_existing_content_uploaded_again_is_stored_once(self, client, cluster):
        data = os.urandom(40000)
        client.put("t6-existing", data)
        location = start_upload(client, "t6-existing-again", data)
        assert send(client.base, location, data, 0).status_code == 200
        from tests.chapter05.test_chapter05 import shard_files
        assert len(shard_files(cluster, data)) == 6
        assert client.get("t6-existing-again").content == data

    @pytest.mark.parametrize("round", range(3))     # a race: before the fix, a round saw a mix 3 times in 40
    def test_concurrent_puts_on_one_token_never_interleave(self, client, cluster, round):
        data = os.urandom(3 << 20)
        location = start_upload(client, f"t6-race-{round}", data)
        garbage = os.urandom(len(data))
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda body: requests.put(client.base + location, data=body, timeout=60),
                                    [data, garbage]))
        statuses = sorted(a.status_code for a in answers)
        assert set(statuses) <= {200, 400, 404, 409, 416}, statuses  # 416: the other one moved the offset first
        for _ in range(20):         # finish the upload with the right bytes, if it is still there
            if requests.head(client.base + location, timeout=30).status_code != 200:
                break
            answer = send(client.base, location, data, accepted(client.base, location))
            assert answer.status_code in (200, 400, 409)
        else:
            pytest.fail("the upload neither finished nor went away in 20 tries")
        got = client.get(f"t6-race-{round}")
        assert got.status_code == 404 or got.content == data     # never a mix of the two bodies
        if got.status_code == 200:                               # parity included (a GET reads data shards)
            from tests.chapter05.test_chapter05 import shard_bytes, shard_files
            for index, path in shard_files(cluster, data).items():
                assert shard_bytes(path) == rs.encode(data)[index], index


    def test_a_shard_written_by_another_request_between_pieces_is_caught(self, client):
        """A rogue PATCH of one parity temp between two pieces: the running hash no longer holds,
        the read-back finds the parity is not that of the data, and the upload is dropped."""
        data = os.urandom(3 * 32000 + 5)
        location = start_upload(client, "t6-rogue", data)
        first = requests.put(client.base + location, data=data[:64000], headers={"Range": "bytes=0-"}, timeout=30)
        assert first.status_code == 200 and first.headers["Upload-Offset"] == "64000"
        server, temp_id = upload_state(location)["servers"][4], upload_state(location)["uuids"][4]
        rogue = requests.patch(f"http://{server}/temp/{temp_id}", data=os.urandom(16000), headers={"offset": "0"},
                               timeout=30)
        assert rogue.status_code == 200
        assert send(client.base, location, data, 64000).status_code == 400
        assert requests.head(client.base + location, timeout=30).status_code == 404
        assert client.get("t6-rogue").status_code == 404


class TestTempVersions:
    """A data server's temp tells its version, and commits only at the version it is asked for."""

    def test_a_temp_written_after_its_version_was_read_is_not_committed(self, client, cluster):
        data = os.urandom(1000)
        location = start_upload(client, "t6-version", data)
        server, temp_id = upload_state(location)["servers"][0], upload_state(location)["uuids"][0]
        temp = f"http://{server}/temp/{temp_id}"
        shard = rs.encode(data)[0]
        written = requests.patch(temp, data=shard, headers={"offset": "0"}, timeout=30)
        assert written.status_code == 200
        version = written.headers["Temp-Version"]
        assert written.headers["Temp-Version-Before"] != version
        assert requests.head(temp, timeout=30).headers["Temp-Version"] == version
        assert requests.get(temp, timeout=30).headers["Temp-Version"] == version
        again = requests.patch(temp, data=shard, headers={"offset": "0"}, timeout=30)
        assert again.headers["Temp-Version-Before"] == version != again.headers["Temp-Version"]
        stale = requests.put(temp, headers={"Temp-Version": version}, timeout=30)
        assert stale.status_code == 412
        assert requests.head(temp, timeout=30).status_code == 200          # still there, uncommitted
        assert requests.put(temp, headers={"Temp-Version": again.headers["Temp-Version"]},
                            timeout=30).status_code == 200
        assert requests.head(temp, timeout=30).status_code == 404          # committed

    def test_a_commit_or_patch_of_a_missing_or_foreign_temp_is_a_4xx(self, client, cluster, tmp_path):
        server = cluster.data_servers[0]
        missing = f"http://{server.address}/temp/{uuid.uuid4()}"
        assert requests.put(missing, headers={"Temp-Version": "x-1"}, timeout=30).status_code == 404
        assert requests.patch(missing, data=b"x", headers={"offset": "0"}, timeout=30).status_code == 404
        victim = tmp_path / "victim.dat"
        victim.write_bytes(b"not the data server's")
        name = os.path.relpath(victim.with_suffix(""), Path(server.root) / "temp")
        foreign = f"http://{server.address}/temp/{quote(name, safe='')}"
        for method in ("PATCH", "PUT"):
            answer = requests.request(method, foreign, data=b"", timeout=30,
                                      headers={"offset": "0", "Temp-Version": "x-1"})
            assert answer.status_code in (400, 404), (method, answer.status_code)
        assert victim.read_bytes() == b"not the data server's"


class TestTokens:
    """Tokens are unforgeable and expire; the api talks to no host a client names."""

    def test_forged_and_tampered_tokens_are_refused_without_contacting_their_hosts(self, client):
        trap = socket.socket()
        trap.bind(("127.0.3.1", 0))
        trap.listen(8)
        trap.settimeout(0.5)
        host = f"127.0.3.1:{trap.getsockname()[1]}"
        try:
            data = os.urandom(1000)
            real = start_upload(client, "t6-token", data)[len("/temp/"):]
            state = {**upload_state("/temp/" + real), "servers": [host] * 6}
            assert host not in base64.urlsafe_b64decode(real + "=" * (-len(real) % 4)).decode("latin-1")
            forged = token.issue(token.Upload(**state), b"a secret the cluster never had")
            flipped = real[:30] + ("A" if real[30] != "A" else "B") + real[31:]
            for text in [forged, flipped, real + "!", real + "==", real + ".", "*" + real, real[:-4],
                         "not-a-token", base64.b64encode(json.dumps(state).encode()).decode()]:
                for method in ("HEAD", "PUT"):
                    response = requests.request(method, f"{client.base}/temp/{text}", data=b"x", timeout=10)
                    assert response.status_code in (403, 404), (method, text[:20], response.status_code)
            with pytest.raises(socket.timeout):
                trap.accept()
        finally:
            trap.close()

    def test_an_expired_upload_is_410(self, client, cluster, tmp_path):
        address = "127.0.2.9:12345"
        env = {**os.environ, **FAST, **cluster.env, "LISTEN_ADDRESS": address, "UPLOAD_TTL": "0",
               "PYTHONPATH": str(REPO)}
        quick = subprocess.Popen([sys.executable, "-m", "chapter06_resumable.api_server"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: _live(address), 20, what="an api server with UPLOAD_TTL=0")
            location = start_upload(client, "t6-expired", b"expires at once", address=address)
            assert requests.head(client.base + location, timeout=10).status_code == 410
            response = requests.put(client.base + location, data=b"expires at once", timeout=10)
            assert response.status_code == 410 and error_code(response) == "UploadExpired"
        finally:
            quick.terminate()
            quick.wait(10)

    def test_abandoned_temps_are_swept_after_upload_ttl(self, client, cluster):
        server = cluster.data_servers[0]
        start_upload(client, "t6-abandoned", os.urandom(5000))
        assert list((Path(server.root) / "temp").iterdir())
        cluster.stop(server)
        cluster.env["UPLOAD_TTL"] = "0"
        try:
            cluster.start(server)
            wait_until(lambda: not list((Path(server.root) / "temp").iterdir()), 15, what="the sweeper")
        finally:
            del cluster.env["UPLOAD_TTL"]
            cluster.stop(server)
            cluster.up()


class TestRanges:
    """RFC 9110 single byte ranges, starting at the block that holds the first byte."""

    @pytest.fixture(scope="class")
    @classmethod
    def stored(cls, client):
        data = os.urandom(300001)
        client.put("t6-ranges", data)
        return data

    @pytest.mark.parametrize("header,first,last", [
        ("bytes=0-0", 0, 0), ("bytes=0-", 0, 300000), ("bytes=31999-32000", 31999, 32000),
        ("bytes=250000-", 250000, 300000), ("bytes=-1", 300000, 300000), ("bytes=-64000", 236001, 300000),
        ("bytes=100-200000", 100, 200000), ("bytes=299990-400000", 299990, 300000), ("bytes=-999999", 0, 300000),
        ("BYTES=10-19", 10, 19), ("Bytes=299999-", 299999, 300000),                  # the unit in any case
        ("bytes=0-99999999999999999999", 0, 300000), ("bytes=-000000000000000000001", 300000, 300000)])
    def test_a_satisfiable_range_is_206_with_exact_headers(self, client, stored, header, first, last):
        response = client.get("t6-ranges", headers={"Range": header})
        assert response.status_code == 206
        assert response.headers["Content-Range"] == f"bytes {first}-{last}/300001"
        assert response.headers["Content-Length"] == str(last - first + 1)
        assert response.content == stored[first:last + 1]

    @pytest.mark.parametrize("header", ["bytes=300001-", "bytes=999999-1000000", "bytes=-0"])
    def test_an_unsatisfiable_range_is_416_with_the_size(self, client, stored, header):
        response = client.get("t6-ranges", headers={"Range": header})
        assert response.status_code == 416 and response.headers["Content-Range"] == "bytes */300001"

    @pytest.mark.parametrize("header", ["bytes=5-1", "items=0-1", "bytes=0-1,5-6", "bytes=abc"])
    def test_a_header_that_is_not_one_byte_range_is_ignored(self, client, stored, header):
        response = client.get("t6-ranges", headers={"Range": header})
        assert response.status_code == 200 and response.content == stored

    @pytest.mark.parametrize("header", ["bytes=-1", "bytes=-99999999999999999999"])
    def test_a_suffix_range_of_an_empty_object_sends_it_whole(self, client, header):
        """RFC 9110 §14.1.1: satisfiable (a non-zero suffix), yet no 206 can describe zero bytes."""
        client.put("t6-empty-range", b"")
        response = client.get("t6-empty-range", headers={"Range": header})
        assert response.status_code == 200 and response.content == b""

    def test_every_get_says_accept_ranges(self, client, stored):
        assert client.get("t6-ranges").headers["Accept-Ranges"] == "bytes"

    def test_curl_resumes_an_interrupted_download(self, client, stored, tmp_path):
        target = tmp_path / "download"
        subprocess.run(["curl", "-s", "-r", "0-99999", "-o", str(target), client.url("t6-ranges")], check=True)
        subprocess.run(["curl", "-s", "-C", "-", "-o", str(target), client.url("t6-ranges")], check=True)
        assert target.read_bytes() == stored

    def test_a_range_read_does_not_repair_and_survives_a_lost_shard(self, client, cluster, stored):
        from tests.chapter05.test_chapter05 import shard_files
        shard_files(cluster, stored)[1].unlink()
        response = client.get("t6-ranges", headers={"Range": "bytes=200000-"})
        assert response.status_code == 206 and response.content == stored[200000:]
        assert client.get("t6-ranges").content == stored           # a whole GET repairs it
        wait_until(lambda: 1 in shard_files(cluster, stored), 10, what="the repair")

    def test_a_range_read_opens_the_parity_at_once_when_a_data_shard_fails_first(self, client, cluster):
        """A data shard corrupt at the range's first block: the parity shards are opened at the same
        offset before anything is sent, and the bytes are still right."""
        from tests.chapter05.test_chapter05 import shard_files
        data = os.urandom(400000)
        client.put("t6-ranged-corrupt", data)
        path = shard_files(cluster, data)[2]
        raw = bytearray(path.read_bytes())
        raw[5 * 8000 + 10] ^= 0xFF                        # block 5 holds object byte 160000
        path.write_bytes(bytes(raw))
        response = client.get("t6-ranged-corrupt", headers={"Range": "bytes=165000-"})
        assert response.status_code == 206 and response.content == data[165000:]


def _live(address: str) -> bool:
    try:
        return len(requests.get(f"http://{address}/healthz", timeout=1).json().get("data_servers", [])) == 6
    except requests.RequestException:
        return False


class TestHostileClients(chapter5.TestHostileClients):
    """Chapter 5's, re-checked against chapter 6."""


def test_readme_walkthrough(cluster):
    walkthrough.run(README)
