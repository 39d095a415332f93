"""Chapter 8 (book §4.8): maintenance tools that never delete live data.

Chapter 7's contract is inherited unchanged (the api server is chapter 7's, plus pins, issue 18).
"""
import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from chapter03_metadata.common import digest
from scripts.cluster import PACKAGES
from tests import walkthrough
from tests.chapter03.conftest import INDEX
from tests.chapter05.test_chapter05 import shard_files, server_of
from tests.chapter07 import test_chapter07 as chapter7
from tests.support import ES, FAST, es_url, slow_put

README = Path(__file__).resolve().parents[2] / "chapter08_maintenance" / "README.md"
REPO = Path(__file__).resolve().parents[2]


class TestObjects(chapter7.TestObjects):
    """Chapter 7's, re-checked against chapter 8."""


class TestStreaming(chapter7.TestStreaming):
    """Chapter 7's, re-checked against chapter 8."""


class TestNames(chapter7.TestNames):
    """Chapter 7's, re-checked against chapter 8."""


class TestDigest(chapter7.TestDigest):
    """Chapter 7's, re-checked against chapter 8."""


class TestVersions(chapter7.TestVersions):
    """Chapter 7's, re-checked against chapter 8."""


class TestMessaging(chapter7.TestMessaging):
    """Chapter 7's, re-checked against chapter 8."""


class TestDedup(chapter7.TestDedup):
    """Chapter 7's, re-checked against chapter 8."""


class TestTempEndpoints(chapter7.TestTempEndpoints):
    """Chapter 7's, re-checked against chapter 8."""


class TestLocate(chapter7.TestLocate):
    """Chapter 7's, re-checked against chapter 8."""


class TestMembership(chapter7.TestMembership):
    """Chapter 7's, re-checked against chapter 8."""


class TestIntegrity(chapter7.TestIntegrity):
    """Chapter 7's, re-checked against chapter 8."""


class TestShards(chapter7.TestShards):
    """Chapter 7's, re-checked against chapter 8."""


class TestResumableUpload(chapter7.TestResumableUpload):
    """Chapter 7's, re-checked against chapter 8."""


class TestTokens(chapter7.TestTokens):
    """Chapter 7's, re-checked against chapter 8."""


class TestTempVersions(chapter7.TestTempVersions):
    """Chapter 7's, re-checked against chapter 8."""


class TestRanges(chapter7.TestRanges):
    """Chapter 7's, re-checked against chapter 8."""


class TestCompressionAtRest(chapter7.TestCompressionAtRest):
    """Chapter 7's, re-checked against chapter 8."""


class TestForms(chapter7.TestForms):
    """Chapter 7's, re-checked against chapter 8."""


class TestDownloadCompression(chapter7.TestDownloadCompression):
    """Chapter 7's, re-checked against chapter 8."""



def tool(cluster, name: str, server=None, **env) -> subprocess.CompletedProcess:
    """Run one of the tools as an operator would, with one data server's settings."""
    full = {**os.environ, **FAST, **cluster.env, "PYTHONPATH": str(REPO), **env}
    if server is not None:
        full.update(STORAGE_ROOT=server.root, LISTEN_ADDRESS=server.address)
    return subprocess.run([sys.executable, "-m", f"{PACKAGES[cluster.chapter]}.{name}"], env=full,
                          capture_output=True, text=True, timeout=300)


def drop_versions(name: str) -> None:
    """Delete every version document of ``name``, as delete_old_metadata would (its content is then
    referenced by nothing)."""
    from chapter08_maintenance.common.es import MaintenanceMetadata
    metadata = MaintenanceMetadata(ES, INDEX)          # every test cluster shares the test index
    for record in list(metadata.versions(name)):
        metadata.delete_version(record)


def versions(client, name: str) -> list[int]:
    return [json.loads(line)["Version"] for line in requests.get(client.url(name, "versions"), timeout=30).text.split()]


class TestDataServerDelete:
    """DELETE /objects/<key> moves exactly that key's shards to garbage/, idempotently."""

    def test_delete_moves_the_shards_to_garbage_and_locate_forgets_them(self, client, cluster):
        data = os.urandom(5000)
        client.put("t8-delete", data)
        path = shard_files(cluster, data)[2]
        server = server_of(cluster, path)
        key = digest.key(digest.of(data))
        base = f"http://{server.address}/objects/"
        assert requests.delete(base + key, timeout=10).status_code == 200
        assert not path.exists() and (Path(server.root) / "garbage" / path.name).exists()
        answer = requests.get(f"{client.base}/locate/{key}", timeout=10).json()
        assert "2" not in answer
        assert requests.delete(base + key, timeout=10).status_code == 200       # idempotent
        for bad in ["*", key + ".2", "..%2Fobjects", key[:-1] + "*"]:
            assert requests.delete(base + bad, timeout=10).status_code == 400, bad


class TestDeleteOldMetadata:
    """Each name keeps its 5 newest versions, however many names, gaps and tombstones included."""

    def test_thirty_names_with_seven_versions_are_all_trimmed_to_five(self, client, cluster):
        names = [f"t8-trim-{i:02d}" for i in range(30)]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: [client.put(n, b"%s v%d" % (n.encode(), v)) for v in range(7)], names))
        done = tool(cluster, "delete_old_metadata")
        assert done.returncode == 0, done.stderr
        assert done.stderr.count("'t8-trim-") == 60          # two deletions logged per name
        for name in names:
            assert versions(client, name) == [3, 4, 5, 6, 7]
            assert client.get(name).content == b"%s v6" % name.encode()
        again = tool(cluster, "delete_old_metadata")
        assert again.returncode == 0 and "'t8-trim-" not in again.stderr

    def test_a_deleted_name_stays_deleted(self, client, cluster):
        for v in range(6):
            client.put("t8-tombstone", b"v%d" % v)
        requests.delete(client.url("t8-tombstone"), timeout=10)
        assert tool(cluster, "delete_old_metadata").returncode == 0
        assert versions(client, "t8-tombstone") == [3, 4, 5, 6, 7]
        assert client.get("t8-tombstone").status_code == 404


class TestDeleteOrphanObject:
    """Only shards no version references, past the grace period, go to garbage."""

    def run_on_all(self, cluster, **env):
        return [tool(cluster, "delete_orphan_object", server, **env) for server in cluster.data_servers]

    def test_unreferenced_shards_go_and_referenced_ones_with_slash_and_plus_stay(self, client, cluster):
        tricky = next(d for d in (b"t8 keep %d" % i for i in range(10000)) if {"/", "+"} <= set(digest.of(d)))
        client.put("t8-tricky", tricky)
        orphan = os.urandom(3000)
        client.put("t8-orphan", orphan)
        drop_versions("t8-orphan")
        results = self.run_on_all(cluster, ORPHAN_GRACE="0")
        assert all(r.returncode == 0 for r in results), [r.stderr[-1500:] for r in results if r.returncode]
        assert len(shard_files(cluster, tricky)) == 6 and client.get("t8-tricky").content == tricky
        assert shard_files(cluster, orphan) == {}
        assert sum(1 for p in cluster.data_servers for f in (Path(p.root) / "garbage").iterdir()
                   if f.name.startswith(digest.key(digest.of(orphan)))) == 6

    def test_young_files_are_kept(self, client, cluster):
        data = os.urandom(3000)
        client.put("t8-young", data)
        requests.delete(client.url("t8-young"), timeout=10)
        self.run_on_all(cluster, ORPHAN_GRACE="3600")
        assert len(shard_files(cluster, data)) == 6

    def test_an_elasticsearch_outage_moves_nothing(self, client, cluster):
        client.put("t8-outage", os.urandom(2000))
        before = sorted(f for p in cluster.data_servers for f in (Path(p.root) / "objects").iterdir())
        pid = int(subprocess.run(["bash", "scripts/services.sh", "es-pid"], capture_output=True, text=True,
                                 cwd=REPO).stdout.strip())
        os.kill(pid, signal.SIGSTOP)
        try:
            result = tool(cluster, "delete_orphan_object", cluster.data_servers[0], ORPHAN_GRACE="0")
        finally:
            os.kill(pid, signal.SIGCONT)
        assert result.returncode != 0
        assert sorted(f for p in cluster.data_servers for f in (Path(p.root) / "objects").iterdir()) == before

    def test_an_object_uploaded_while_the_tool_runs_survives(self, client, cluster):
        stored, stop = [], threading.Event()

        def upload():
            i = 0
            while not stop.is_set():
                data = os.urandom(1500)
                if client.put(f"t8-busy-{i}", data).status_code == 200:
                    stored.append((f"t8-busy-{i}", data))
                i += 1
                stop.wait(0.05)     # a steady trickle: unthrottled, every upload lengthens the next tool run
        uploader = threading.Thread(target=upload)
        uploader.start()
        try:
            for _ in range(2):
                self.run_on_all(cluster, ORPHAN_GRACE="2")
        finally:
            stop.set()
            uploader.join()
        assert stored
        for name, data in stored:
            assert client.get(name).content == data

    def test_content_a_put_reuses_is_pinned_against_the_tool(self, client, cluster):
        """Issue 18: a PUT of content whose shards were unreferenced (and old) answered 200 while
        the tool moved those shards to garbage; the GET was then 503. The PUT pins them now."""
        data = os.urandom(5000)
        client.put("t8-pin-first", data)
        drop_versions("t8-pin-first")
        old = time.time() - 7200
        for path in shard_files(cluster, data).values():
            os.utime(path, (old, old))
        with concurrent.futures.ThreadPoolExecutor(7) as pool:
            # (six tool runs at once: 15 s of PUT was too short for them on a busy 2-core machine)
            put = pool.submit(slow_put, client, "t8-pin-second", data, 30)
            time.sleep(1)          # the PUT has found the content; its body is not all there yet
            runs = list(pool.map(lambda server: tool(cluster, "delete_orphan_object", server, ORPHAN_GRACE="0"),
                                 cluster.data_servers))
            assert not put.done(), "the tool runs must end while the PUT is still under way"
            assert put.result() == 200
        assert all(r.returncode == 0 for r in runs), [r.stderr[-800:] for r in runs if r.returncode]
        assert len(shard_files(cluster, data)) == 6
        assert client.get("t8-pin-second").content == data

    @pytest.mark.parametrize("name", ["delete_orphan_object", "delete_old_metadata", "object_scanner"])
    def test_a_tool_pointed_at_a_missing_or_empty_index_refuses_and_creates_nothing(self, client, cluster, name):
        """Issue 18: a mistyped ES_INDEX was created empty, and the orphan tool then moved every shard."""
        client.put("t8-index", b"referenced")
        requests.delete(f"{es_url()}/t8-mistyped,t8-mistyped-heads?ignore_unavailable=true", timeout=30)
        before = sorted(f for p in cluster.data_servers for f in (Path(p.root) / "objects").iterdir())
        result = tool(cluster, name, cluster.data_servers[0], ES_INDEX="t8-mistyped", ORPHAN_GRACE="0")
        assert result.returncode != 0 and "'t8-mistyped' does not exist" in result.stderr
        assert requests.head(f"{es_url()}/t8-mistyped", timeout=10).status_code == 404
        for index in ("t8-empty", "t8-empty-heads"):
            requests.put(f"{es_url()}/{index}", timeout=30).raise_for_status()
        try:
            result = tool(cluster, name, cluster.data_servers[0], ES_INDEX="t8-empty", ORPHAN_GRACE="0")
            assert result.returncode != 0 and "'t8-empty' holds no version" in result.stderr
        finally:
            requests.delete(f"{es_url()}/t8-empty,t8-empty-heads", timeout=30)
        assert sorted(f for p in cluster.data_servers for f in (Path(p.root) / "objects").iterdir()) == before

    def test_garbage_is_purged_after_the_retention(self, client, cluster):
        server = cluster.data_servers[0]
        (Path(server.root) / "garbage" / "old-garbage").write_bytes(b"x")
        tool(cluster, "delete_orphan_object", server, GARBAGE_RETENTION="3600")
        assert (Path(server.root) / "garbage" / "old-garbage").exists()
        tool(cluster, "delete_orphan_object", server, GARBAGE_RETENTION="0")
        assert not (Path(server.root) / "garbage" / "old-garbage").exists()


class TestObjectScanner:
    """The scanner checks each object once and rebuilds missing or corrupt shards."""

    def test_a_deleted_shard_and_a_wiped_server_are_rebuilt(self, client, cluster):
        objects = {f"t8-scan-{i}": os.urandom(40000 + i) for i in range(5)}
        for name, data in objects.items():
            client.put(name, data)
        first = objects["t8-scan-0"]
        shard_files(cluster, first)[1].unlink()
        wiped = cluster.data_servers[3]
        cluster.stop(wiped)
        shutil.rmtree(wiped.root)
        cluster.up()
        # a server that still holds a shard of the first object (each object has one on every server)
        scanned = server_of(cluster, next(iter(shard_files(cluster, first).values())))
        result = tool(cluster, "object_scanner", scanned)
        for name, data in objects.items():     # (other tests' objects may be beyond repair: exit 1)
            key = digest.key(digest.of(data))
            assert len(shard_files(cluster, data)) == 6, (name, result.stderr[-2000:])
            assert client.get(name).content == data
            assert f"{key}: cannot" not in result.stderr and f"{key}: the object decodes" not in result.stderr
        assert f"{digest.key(digest.of(first))}: shard 1 rebuilt" in result.stderr

    def test_a_packed_object_is_checked_unpacked_and_its_lost_shard_rebuilt(self, client, cluster):
        """Chapter 7 gzips a compressible object before encoding it: the scanner unpacks it to
        check its hash, and rebuilds a lost shard of the packed stream."""
        data = b"packed by chapter 7, scanned by chapter 8\n" * 50000
        client.put("t8-scan-packed", data)
        files = shard_files(cluster, data)
        assert files[0].stat().st_size < len(data) // 40          # it was packed
        files[2].unlink()
        result = tool(cluster, "object_scanner", server_of(cluster, files[0]))
        key = digest.key(digest.of(data))
        assert f"{key}: shard 2 rebuilt" in result.stderr and f"{key}: the object decodes" not in result.stderr
        assert len(shard_files(cluster, data)) == 6 and client.get("t8-scan-packed").content == data

    def test_a_version_whose_content_has_no_shard_left_anywhere_is_reported(self, client, cluster):
        """Issue 18: the scanner walked only its own disk, so content with no shard left on any
        server was never reported."""
        data = os.urandom(7000)
        client.put("t8-lost", data)
        for path in shard_files(cluster, data).values():
            path.unlink()
        try:
            result = tool(cluster, "object_scanner", cluster.data_servers[0])
            assert result.returncode != 0
            assert f"{digest.key(digest.of(data))}: only 0 shard(s) of it are left anywhere" in result.stderr
        finally:
            drop_versions("t8-lost")          # leave no unreadable version to later tests

    def test_a_corrupt_shard_in_the_middle_is_rebuilt(self, client, cluster):
        data = os.urandom(10 * 32000 * 4)
        client.put("t8-scan-middle", data)
        path = shard_files(cluster, data)[4]
        raw = bytearray(path.read_bytes())          # random data: a plain shard
        raw[8000 * 7] ^= 1
        path.write_bytes(bytes(raw))
        result = tool(cluster, "object_scanner", server_of(cluster, shard_files(cluster, data)[0]))
        assert shard_files(cluster, data)[4].read_bytes() != bytes(raw)
        assert f"{digest.key(digest.of(data))}: shard 4 rebuilt" in result.stderr


class TestHostileClients(chapter7.TestHostileClients):
    """Chapter 7's, re-checked against chapter 8."""


def test_readme_walkthrough(cluster):
    walkthrough.run(README, env={**os.environ, **FAST, **cluster.env})
