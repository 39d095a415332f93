"""Chapter 5 (book §4.5, §7.2): Reed-Solomon 4+2 shards on six servers, GET from any four, repair.

Chapter 4's contract is inherited; what the book changes (one object = six shard files; a GET
survives a missing or corrupt copy) is overridden here.
"""
import base64
import gzip
import hashlib
import os
import signal
import threading
import time
import zlib
from pathlib import Path

import pytest
import requests

from chapter03_metadata.common import digest
from tests import walkthrough
from tests.chapter04 import test_chapter04 as chapter4
from tests.chapter04.test_chapter04 import stored_files, temp_files
from tests.support import error_code, health, wait_until

README = Path(__file__).resolve().parents[2] / "chapter05_erasure" / "README.md"
BOOK_OBJECT = b"this object will be separate to 4+2 shards"
BOOK_SHARDS = ["74686973206f626a656374", "2077696c6c206265207365", "70617261746520746f2034",
               "2b32207368617264730000", "3a3f2f03abe4efc7cb939f", "4c95de321a0c1e8a452350"]
K251_SHARD_HASHES = ["4nOX0TiG64MpSIHbNUUdtBAKgw6gmR7QKim/5r6cEd0=", "mPaS/O8JkOT1qz/M34T0GVfRPVvGgKIo4hocB18FOYU=",
                     "T556gVBSIkKVe7aWKFHiJt7CCQiFW1RFWbbFnGNS8n8=", "oaLlei5WgetYr86pOZ+MChmbaHiY93UCCjqKliTHTN0=",
                     "HnzGePS8rysDmDS4eci4fEVyhbKww/U0wTI9z6xYBBM=", "taTouc1UuazNuYOPVgj6ljkwEsuIKJiuJehQ8xixTxs="]


def shard_files(cluster, data: bytes) -> dict[int, Path]:
    """Shard index -> its file, for the stored shards of ``data`` (in either form, chapter 7 on:
    ``<key>.<i>.…`` plain, ``<key>.p.<i>.…`` packed)."""
    return {int(f.name.split(".")[2 if f.name.split(".")[1] == "p" else 1]): f
            for f in stored_files(cluster, digest.of(data))}


def shard_bytes(path: Path) -> bytes:
    """A shard's bytes, uncompressed when the data server keeps it gzipped (chapter 7 on)."""
    raw = path.read_bytes()
    return gzip.decompress(raw) if path.name.endswith(".gz") else raw


def server_of(cluster, path: Path):
    return next(p for p in cluster.data_servers if Path(p.root) in path.parents)


class TestObjects(chapter4.TestObjects):
    pass


class TestStreaming(chapter4.TestStreaming):
    pass


class TestNames(chapter4.TestNames):
    pass


class TestDigest(chapter4.TestDigest):
    def plant_wrong_bytes(self, cluster, data: bytes) -> None:
        """Other bytes in data shard 0, with checksums that fit them: the data server serves them."""
        path = shard_files(cluster, data)[0]
        assert not path.name.endswith(".gz")                 # random data is stored plain
        other = os.urandom(path.stat().st_size)
        with open(path, "r+b") as file:
            file.write(other)
        crcs = b"".join(zlib.crc32(other[at:at + 8000]).to_bytes(4, "big") for at in range(0, len(other), 8000))
        (path.parent.parent / "checksums" / path.name).write_bytes(crcs)


class TestVersions(chapter4.TestVersions):
    pass


class TestMessaging(chapter4.TestMessaging):
    pass


class TestDedup(chapter4.TestDedup):
    copies = 6


class TestTempEndpoints(chapter4.TestTempEndpoints):
    suffix = ".0"

    def test_commit_of_content_that_does_not_match_its_name_is_refused(self, cluster):
        """Book §4.5: a shard cannot be checked against the object's hash; commit names it by its own."""
        server = cluster.data_servers[0]
        base = f"http://{server.address}/temp/"
        uuid = requests.post(base + "B" * 43 + ".2", headers={"size": "5"}, timeout=10).text
        requests.patch(base + uuid, data=b"shard", timeout=10)
        assert requests.put(base + uuid, timeout=10).status_code == 200
        assert (Path(server.root) / "objects" / f"{'B' * 43}.2.{digest.key(digest.of(b'shard'))}").exists()

    def test_a_shard_patched_in_uneven_pieces_gets_the_crc_of_every_block(self, cluster):
        """The hash and block CRCs kept while appending equal those of the whole shard."""
        server = cluster.data_servers[1]
        base = f"http://{server.address}/temp/"
        data = os.urandom(5 * 8000 + 77)
        uuid = requests.post(base + "C" * 43 + ".3", headers={"size": str(len(data))}, timeout=10).text
        for start, end in ((0, 1), (1, 7999), (7999, 8001), (8001, 30000), (30000, len(data))):
            assert requests.patch(base + uuid, data=data[start:end], timeout=10).status_code == 200
        assert requests.put(base + uuid, timeout=10).status_code == 200
        name = f"{'C' * 43}.3.{digest.key(digest.of(data))}"
        assert (Path(server.root) / "objects" / name).read_bytes() == data
        stored = (Path(server.root) / "checksums" / name).read_bytes()
        assert stored == b"".join(zlib.crc32(data[at:at + 8000]).to_bytes(4, "big") for at in range(0, len(data), 8000))


class TestLocate(chapter4.TestLocate):
    test_object_is_stored_on_exactly_one_data_server = None    # book §4.5: six shards instead

    def test_object_is_stored_as_six_shards_on_six_servers(self, client, cluster):
        """Book §4.5: an object is six shards, one on each of six servers."""
        client.put("t5-six", b"where are we")
        files = shard_files(cluster, b"where are we")
        assert sorted(files) == list(range(6))
        assert len({server_of(cluster, f).address for f in files.values()}) == 6

    def test_locate_returns_the_address_of_the_holder(self, client, cluster):
        """Book §4.5: locate answers the map {shard index: address}."""
        client.put("t5-locate", b"locate my shards")
        h = digest.of(b"locate my shards")
        answer = requests.get(client.url(digest.key(h), "locate"), timeout=10).json()
        files = shard_files(cluster, b"locate my shards")
        assert answer == {str(i): server_of(cluster, f).address for i, f in files.items()}

    def test_locate_takes_the_books_escaped_hash(self, client, cluster):
        client.put("t5-book-hash", BOOK_OBJECT)
        h = digest.of(BOOK_OBJECT)
        answer = requests.get(f"{client.base}/locate/{h.replace('/', '%2F')}", timeout=10)
        assert answer.status_code == 200 and len(answer.json()) == 6


class TestMembership(chapter4.TestMembership):
    test_stopped_data_server_expires_its_objects_404_and_return_with_it = None   # book §4.5 changes it
    test_data_server_killed_mid_download_fails_the_response_without_hanging = None

    def test_with_a_server_stopped_get_still_answers_and_put_is_503(self, client, cluster, front):
        """Book §4.5, fixed per D4: with a server gone a GET still answers from five shards, and a
        PUT (which needs six servers) is a 503."""
        client.put("t5-member", b"survive")
        gone = cluster.data_servers[2]
        cluster.stop(gone)
        try:
            wait_until(lambda: gone.address not in health(front)["data_servers"], 10, what="expiry")
            assert client.get("t5-member").content == b"survive"
            put = client.put("t5-while-away", b"needs six")
            assert put.status_code == 503 and error_code(put) == "ServiceUnavailable"
        finally:
            cluster.up()
        assert client.put("t5-while-away", b"needs six").status_code == 200

    def test_a_shard_server_killed_mid_download_costs_a_shard_not_the_download(self, client, cluster):
        """Book §4.5, fixed per D4: a shard server dying mid-download costs one shard, not the GET."""
        data = os.urandom(1 << 20) * 48
        client.put("t5-killed", data)
        victim = server_of(cluster, shard_files(cluster, data)[1])
        try:
            response = client.get("t5-killed", stream=True)
            chunks = response.iter_content(1 << 16)        # one iterator: the body may be chunked (gzip)
            received = bytearray(next(chunks))
            os.killpg(victim.pid, signal.SIGKILL)
            started = time.monotonic()
            for chunk in chunks:
                received += chunk
            assert hashlib.sha256(received).digest() == hashlib.sha256(data).digest()
            assert time.monotonic() - started < 35
        finally:
            cluster.up()


class TestIntegrity(chapter4.TestIntegrity):
    test_a_corrupted_object_is_404_and_its_file_quarantined = None    # book §4.5: served and repaired instead

    def test_damaged_checksums_never_cost_a_healthy_shard(self, client, cluster):
        """Issue 18: an empty or damaged checksums file made the data server delete a healthy
        shard. The shard is hashed against its name instead, and the checksums written anew."""
        data = os.urandom(100000)
        client.put("t5-checksums", data)
        files = shard_files(cluster, data)
        sums = {i: files[i].parent.parent / "checksums" / files[i].name for i in (0, 1, 2)}
        identities = {i: files[i].stat().st_ino for i in sums}
        sums[0].write_bytes(b"")                                  # empty
        wrong = bytearray(sums[1].read_bytes())
        wrong[2] ^= 0xFF                                          # one CRC wrong: found mid-stream
        sums[1].write_bytes(bytes(wrong))
        sums[2].write_bytes(sums[2].read_bytes()[:5])             # cut short
        assert client.get("t5-checksums").content == data
        after = shard_files(cluster, data)
        for i, path in sums.items():
            assert after[i] == files[i] and files[i].stat().st_ino == identities[i]
            assert len(path.read_bytes()) == 4 * 4                # 25000 bytes: four blocks

    def test_a_corrupt_shard_is_quarantined_in_garbage(self, client, cluster):
        data = os.urandom(50000)
        client.put("t5-quarantine", data)
        path = shard_files(cluster, data)[2]
        raw = bytearray(path.read_bytes())
        raw[9000] ^= 0x01
        path.write_bytes(bytes(raw))
        assert client.get("t5-quarantine").content == data
        assert (path.parent.parent / "garbage" / path.name).read_bytes() == bytes(raw)

    def test_a_corrupt_shard_is_removed_served_around_and_repaired(self, client, cluster):
        """Book §4.5: a corrupt shard is removed, the GET is served from the others and the shard
        is rewritten."""
        data = os.urandom(100000)
        client.put("t5-corrupt", data)
        path = shard_files(cluster, data)[0]
        path.write_bytes(b"some_garbage\n")
        assert client.get("t5-corrupt").content == data
        wait_until(lambda: len(shard_files(cluster, data)) == 6 and shard_files(cluster, data)[0].stat().st_size
                   == 25000, 10, what="the repair")

    def test_a_corrupt_parity_shard_read_after_the_first_batch_is_still_repaired(self, client, cluster):
        """The parity shards are opened once the first batch is out; a bad one is still rebuilt."""
        data = os.urandom(5 * 32000 * 4 + 77)        # several batches, the first one short
        client.put("t5-parity", data)
        path, sound = shard_files(cluster, data)[5], shard_files(cluster, data)[4]
        original, untouched = shard_bytes(path), sound.stat()
        raw = bytearray(path.read_bytes())
        raw[100] ^= 0xFF                              # in the first batch: the shard fails when opened
        path.write_bytes(bytes(raw))
        assert client.get("t5-parity").content == data
        wait_until(lambda: 5 in shard_files(cluster, data) and shard_bytes(shard_files(cluster, data)[5]) == original,
                   10, what="the repair of the parity shard")
        time.sleep(0.5)
        after = shard_files(cluster, data)[4].stat()      # the sound parity shard was not rewritten
        assert (after.st_ino, after.st_mtime_ns) == (untouched.st_ino, untouched.st_mtime_ns)

    def test_a_deleted_file_is_not_reported_by_locate(self, client, cluster):
        data = b"t5 vanishing shard"
        client.put("t5-vanish", data)
        path = shard_files(cluster, data)[4]
        path.unlink()
        answer = requests.get(client.url(digest.key(digest.of(data)), "locate"), timeout=10).json()
        assert "4" not in answer and len(answer) == 5
        assert client.get("t5-vanish").content == data
        wait_until(lambda: 4 in shard_files(cluster, data), 10, what="the repair")


class TestShards:
    """Shards are the book's bytes; any four serve a GET; failures never leave half an object."""

    def test_book_vectors_are_stored_byte_for_byte(self, client, cluster):
        for data, shards in [(BOOK_OBJECT, BOOK_SHARDS), (b"a", ["61", "00", "00", "00", "d2", "e8"])]:
            client.put("t5-vector", data)
            files = shard_files(cluster, data)
            assert {i: shard_bytes(f).hex() for i, f in files.items()} == dict(enumerate(shards))
        names = {i: f.name.split(".")[2] for i, f in shard_files(cluster, BOOK_OBJECT).items()}
        assert names[2] == "pV2SP_i3jK9KGs5BtQS--TJEecq8Z7_YaUnSRPU1IX8"   # the book's pV2SP%2Fi3…=

    def test_the_100000_byte_vector_has_the_books_shard_hashes(self, client, cluster):
        data = bytes(k % 251 for k in range(100000))
        assert digest.of(data) == "zS32lOQkvHlozDf0d1EBnlygzRvfLkeepTfDocMu4ao="
        client.put("t5-k251", data)
        files = shard_files(cluster, data)
        assert [base64.b64encode(hashlib.sha256(shard_bytes(files[i])).digest()).decode() for i in range(6)] \
            == K251_SHARD_HASHES
        assert client.get("t5-k251").content == data

    @pytest.mark.parametrize("size", [0, 1, 31999, 32000, 32001, 1024000, 1024001])
    def test_objects_of_edge_sizes_round_trip(self, client, cluster, size):
        data = os.urandom(size)
        assert client.put(f"t5-size-{size}", data).status_code == 200
        assert client.get(f"t5-size-{size}").content == data
        assert {f.stat().st_size for f in shard_files(cluster, data).values()} == {-(-size // 4)}

    def test_two_servers_stopped_get_is_200_and_put_is_503(self, client, cluster, front):
        data = os.urandom(300000)
        client.put("t5-two-down", data)
        files = shard_files(cluster, data)
        gone = [server_of(cluster, files[0]), server_of(cluster, files[5])]   # a data and a parity shard
        for server in gone:
            cluster.stop(server)
        try:
            wait_until(lambda: len(health(front)["data_servers"]) == 4, 10, what="expiry")
            assert client.get("t5-two-down").content == data
            assert client.put("t5-two-down-new", os.urandom(1000)).status_code == 503
        finally:
            cluster.up()

    def test_three_shards_lost_is_503_never_a_truncated_200(self, client, cluster):
        data = os.urandom(100000)
        client.put("t5-three-lost", data)
        for index in (0, 1, 4):
            shard_files(cluster, data)[index].unlink()
        response = client.get("t5-three-lost")
        assert response.status_code == 503 and error_code(response) == "ServiceUnavailable"

    def test_a_corrupt_block_in_the_middle_of_a_shard_never_reaches_the_client(self, client, cluster):
        data = os.urandom(10 * 32000 * 4 + 123)
        client.put("t5-middle", data)
        path = shard_files(cluster, data)[2]
        raw = bytearray(path.read_bytes())
        raw[8000 * 25 + 17] ^= 0xFF
        path.write_bytes(bytes(raw))
        assert client.get("t5-middle").content == data
        assert client.get("t5-middle").content == data     # again, after the bad shard was dropped

    def test_a_server_killed_during_a_put_leaves_no_version_and_no_temp(self, client, cluster):
        data = os.urandom(64 << 20)
        victim = cluster.data_servers[3]
        killer = threading.Timer(0.6, lambda: os.killpg(victim.pid, signal.SIGKILL))
        try:
            killer.start()
            response = client.put("t5-put-killed", SlowBody(data), headers=client.headers_for(data))
            assert response.status_code in (502, 503), response.text
            assert client.get("t5-put-killed").status_code == 404
            assert requests.get(client.url("t5-put-killed", "versions"), timeout=10).text == ""
            assert [f for f in temp_files(cluster) if victim.root not in str(f)] == []
        finally:
            killer.cancel()
            cluster.up()


class SlowBody:
    """A request body with a length that trickles out, so that a test can act mid-upload."""

    def __init__(self, data: bytes):
        self.data, self.offset = data, 0

    def __len__(self):
        return len(self.data) - self.offset

    def read(self, size: int = -1) -> bytes:
        size = min(1 << 20 if size < 0 else size, len(self.data) - self.offset)
        chunk = self.data[self.offset:self.offset + size]
        self.offset += size
        time.sleep(0.0005)
        return chunk


class TestHostileClients(chapter4.TestHostileClients):
    """Chapter 4's, re-checked against chapter 5."""


def test_readme_walkthrough(cluster):
    walkthrough.run(README)
