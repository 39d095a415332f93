"""final/'s small-file containers (issue 19), on a real cluster: objects of at most
SMALL_OBJECT_LIMIT bytes are kept whole, as three replicas, in the data servers' container files;
nothing of them is a file of its own; acknowledged writes survive kill -9; damage is cut, reported
and repaired; compaction is online and crash-safe."""
import concurrent.futures
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from chapter03_metadata.common import digest
from tests.chapter06 import test_chapter06 as chapter6
from tests.chapter08.test_chapter08 import drop_versions, tool
from tests.final.containers import files_of, flip, holders, key_of, records_of, roll
from tests.support import FAST, error_code, es_url, wait_until

REPO = Path(__file__).resolve().parents[2]


def version_doc(name: str) -> dict:
    """The newest version document of ``name``, as Elasticsearch holds it."""
    from tests.chapter03.conftest import INDEX
    requests.post(f"{es_url()}/{INDEX}/_refresh", timeout=10)
    answer = requests.post(f"{es_url()}/{INDEX}/_search", json={"query": {"term": {"name": name}},
                           "sort": [{"version": "desc"}], "size": 1}, timeout=10).json()
    return answer["hits"]["hits"][0]["_source"]


def restart(cluster, server, kill: bool = False) -> None:
    """Stop ``server`` (SIGKILL to the whole process group when ``kill``) and bring it back."""
    if kill:
        os.killpg(server.pid, signal.SIGKILL)
        wait_until(lambda: not server.running(), 10, what="the server to die")
    else:
        cluster.stop(server)
    cluster.up()


class TestSmallObjects:
    """Kept whole, three times, in containers; read from one replica, checked against the hash."""

    def test_a_small_object_is_three_replicas_in_containers_and_no_file_of_its_own(self, client, cluster):
        data = os.urandom(4096)
        assert client.put("tf-small", data).status_code == 200
        assert len(holders(cluster, data)) == 3
        assert files_of(cluster, data) == []
        assert sorted(version_doc("tf-small")["replicas"]) == sorted(p.address for p in holders(cluster, data))
        for api in cluster.api_servers:
            assert requests.get(f"http://{api.address}/objects/tf-small", timeout=10).content == data

    def test_the_same_content_twice_is_stored_once_on_the_same_servers(self, client, cluster):
        data = os.urandom(3000)
        client.put("tf-dedup-1", data)
        sizes = {p.address: sum(f.stat().st_size for f in (Path(p.root) / "containers").glob("*.ctr"))
                 for p in cluster.data_servers}
        client.put("tf-dedup-2", data)
        assert version_doc("tf-dedup-1")["replicas"] == version_doc("tf-dedup-2")["replicas"]
        assert sizes == {p.address: sum(f.stat().st_size for f in (Path(p.root) / "containers").glob("*.ctr"))
                         for p in cluster.data_servers}
        assert client.get("tf-dedup-2").content == data

    def test_reads_go_on_with_two_of_three_replicas_lost(self, client, cluster):
        data = os.urandom(5000)
        client.put("tf-two-lost", data)
        lost = holders(cluster, data)[:2]
        for server in lost:
            cluster.stop(server)
        try:
            for _ in range(5):
                assert client.get("tf-two-lost").content == data
        finally:
            cluster.up()

    def test_a_put_needs_three_live_servers_not_six(self, client, cluster):
        """final/ changes §4.5's rule for small objects: a PUT needs three live data servers."""
        stopped = cluster.data_servers[:3]
        for server in stopped:
            cluster.stop(server)
        try:
            wait_until(lambda: len(requests.get(f"http://{cluster.api_servers[0].address}/healthz",
                                                timeout=5).json()["data_servers"]) == 3, 10, what="expiry")
            assert client.put("tf-three-live", b"three are enough").status_code == 200
            cluster.stop(cluster.data_servers[3])
            wait_until(lambda: len(requests.get(f"http://{cluster.api_servers[0].address}/healthz",
                                                timeout=5).json()["data_servers"]) == 2, 10, what="expiry")
            answer = client.put("tf-two-live", b"two are not")
            assert answer.status_code == 503 and error_code(answer) == "ServiceUnavailable"
        finally:
            cluster.up()
        assert client.get("tf-three-live").content == b"three are enough"

    def test_ranges_and_gzip_of_a_small_object(self, client):
        data = b"0123456789" * 1000
        client.put("tf-range", data)
        answer = client.get("tf-range", headers={"Range": "bytes=10-19"})
        assert answer.status_code == 206 and answer.content == data[10:20]
        assert answer.headers["Content-Range"] == "bytes 10-19/10000"
        answer = requests.get(client.url("tf-range"), headers={"Accept-Encoding": "gzip"}, timeout=10)
        assert answer.headers["Content-Encoding"] == "gzip" and answer.content == data

    def test_a_small_resumable_upload_ends_as_replicas(self, client, cluster):
        data = os.urandom(70000)
        location = chapter6.start_upload(client, "tf-resumable", data)
        assert chapter6.send(client.base, location, data[:64000], 0).status_code == 200
        assert chapter6.send(client.base, location, data, 64000).status_code == 200
        assert client.get("tf-resumable").content == data
        assert len(holders(cluster, data)) == 3 and files_of(cluster, data) == []

    def test_a_replica_that_lies_is_passed_over(self, client, cluster):
        """Bytes with CRCs that fit them but not the hash: the api reads another replica."""
        data = os.urandom(6000)
        client.put("tf-liar", data)
        server = holders(cluster, data)[0]
        (path, found), = records_of(server, data)
        from tests.final.containers import rewrite
        rewrite(path, found, os.urandom(len(data)))
        for _ in range(6):
            assert client.get("tf-liar").content == data


class TestDurability:
    """What a data server acknowledged survives its kill; a full disk acknowledges nothing."""

    def test_every_acknowledged_object_survives_kill_9_during_a_burst(self, client, cluster):
        victim, acknowledged, stop = cluster.data_servers[2], [], threading.Event()

        def writer(n):
            i = 0
            while not stop.is_set():
                data = os.urandom(2048 + n)
                try:
                    if client.put(f"tf-burst-{n}-{i}", data).status_code == 200:
                        acknowledged.append(data)
                except requests.RequestException:
                    pass
                i += 1
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            for n in range(16):
                pool.submit(writer, n)
            time.sleep(2)
            os.killpg(victim.pid, signal.SIGKILL)
            time.sleep(0.5)
            stop.set()
        wait_until(lambda: not victim.running(), 10, what="the kill")
        cluster.up()
        on_victim = [d for d in acknowledged if victim.address in version_doc_of(d)]
        assert len(acknowledged) > 50 and on_victim
        for data in on_victim:      # read from the killed server itself, not from another replica
            answer = requests.get(f"http://{victim.address}/containers/{key_of(data)}", timeout=10)
            assert answer.status_code == 200 and answer.content == data

    def test_a_full_disk_is_507_and_nothing_half_written_stays(self, cluster, tmp_path):
        mount = tmp_path / "tiny"
        mount.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)], capture_output=True)
        if done.returncode:
            pytest.fail(f"this test mounts a small tmpfs (run as root): {done.stderr.decode()}", pytrace=False)
        address = "127.0.1.9:12345"
        env = {**os.environ, **FAST, **cluster.env, "LISTEN_ADDRESS": address, "STORAGE_ROOT": str(mount),
               "PYTHONPATH": str(REPO), "RABBITMQ_SERVER": FAST["RABBITMQ_SERVER"].rstrip("/") + "/final-full"}
        server = subprocess.Popen([sys.executable, "-m", "final.data_server"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: _answers(address), 20, what="a data server on a 512 KiB disk")
            small = os.urandom(10000)
            assert requests.put(f"http://{address}/containers/{key_of(small)}", data=small, timeout=10).ok
            before = _container_bytes(mount)
            big = os.urandom(900000)
            answer = requests.put(f"http://{address}/containers/{key_of(big)}", data=big, timeout=10)
            assert answer.status_code == 507 and error_code(answer) == "InsufficientStorage"
            assert _container_bytes(mount) == before
            assert requests.get(f"http://{address}/containers/{key_of(big)}", timeout=10).status_code == 404
            assert requests.get(f"http://{address}/containers/{key_of(small)}", timeout=10).content == small
        finally:
            server.terminate()
            server.wait(10)
            subprocess.run(["umount", "-l", str(mount)], check=False)

    def test_names_that_are_not_keys_or_do_not_match_the_body_are_400_and_write_nothing(self, cluster):
        server = cluster.data_servers[0]
        before = _container_bytes(Path(server.root))
        for name, body in (("abc", b"x"), ("..%2F..%2Fetc", b"x"), (key_of(b"one thing"), b"another thing"),
                           ("A" * 43 + ".0", b"x")):
            answer = requests.put(f"http://{server.address}/containers/{name}", data=body, timeout=10)
            assert answer.status_code == 400, (name, answer.status_code)
        assert _container_bytes(Path(server.root)) == before


class TestDamage:
    """A damaged container: the server starts, reports it, serves the rest; the scanner repairs."""

    def test_a_torn_tail_is_cut_flipped_bytes_are_reported_and_the_scanner_restores_the_replica(self, client,
                                                                                                cluster):
        data, other = os.urandom(4000), os.urandom(4001)
        client.put("tf-damaged", data)
        server = holders(cluster, data)[0]
        after = os.urandom(4002)                          # so that the damaged record is not the last
        assert requests.put(f"http://{server.address}/containers/{key_of(after)}", data=after, timeout=10).ok
        client.put("tf-undamaged", other)
        cluster.stop(server)
        (path, found), = records_of(server, data)
        flip(path, found)
        (Path(server.root) / "containers" / "index.snapshot").unlink()        # rebuilt from the containers
        active = sorted((Path(server.root) / "containers").glob("*.ctr"))[-1]
        with open(active, "ab") as tail:
            tail.write(b"OSC1" + os.urandom(100))                              # a crash mid-write
        cluster.up()
        damage = requests.get(f"http://{server.address}/healthz", timeout=10).json()["containers"]["damage"]
        assert any(d["cut"] for d in damage) and any(not d["cut"] for d in damage)
        assert requests.get(f"http://{server.address}/containers/{key_of(data)}", timeout=10).status_code == 404
        assert client.get("tf-damaged").content == data and client.get("tf-undamaged").content == other
        result = tool(cluster, "object_scanner", server)
        assert f"{key_of(data)}: replica written to" in result.stderr, result.stderr[-1500:]
        assert len(holders(cluster, data)) == 3

    def test_a_restart_uses_the_saved_index_and_a_damaged_record_found_later_is_a_missing_replica(self, client,
                                                                                                  cluster):
        data = os.urandom(3500)
        client.put("tf-later", data)
        server = holders(cluster, data)[0]
        restart(cluster, server)                                                # saves, then loads the index
        (path, found), = records_of(server, data)
        flip(path, found)
        assert requests.get(f"http://{server.address}/containers/{key_of(data)}", timeout=10).status_code == 404
        assert client.get("tf-later").content == data


class TestCompaction:
    """Deletes mark; a container past COMPACT_RATIO is rewritten without its dead bytes."""

    def test_online_compaction_keeps_every_live_replica_while_reads_go_on(self, client, cluster):
        server = cluster.data_servers[4]
        roll(server)                                          # a container of this test's records alone
        stored = {}
        for i in range(60):
            data = os.urandom(4096)
            stored[f"tf-compact-{i}"] = data
            assert requests.put(f"http://{server.address}/containers/{key_of(data)}", data=data, timeout=10).ok
        for data in list(stored.values())[:40]:
            requests.delete(f"http://{server.address}/containers/{key_of(data)}", timeout=10)
        live = list(stored.values())[40:]
        roll(server)
        errors, stop = [], threading.Event()

        def reader():
            while not stop.is_set():
                for data in live:
                    answer = requests.get(f"http://{server.address}/containers/{key_of(data)}", timeout=10)
                    if answer.content != data:
                        errors.append(answer.status_code)
        thread = threading.Thread(target=reader)
        thread.start()
        try:
            answer = requests.post(f"http://{server.address}/containers/?compact", timeout=120).json()
        finally:
            stop.set()
            thread.join()
        assert errors == [] and answer["compacted"]
        restart(cluster, server)
        for data in live:
            assert requests.get(f"http://{server.address}/containers/{key_of(data)}", timeout=10).content == data

    def test_a_compaction_killed_midway_loses_nothing_and_the_next_finishes(self, cluster):
        """Offline (the server stopped): ``final.compact`` is killed at once, mid-way, and run again."""
        server = cluster.data_servers[5]
        cluster.stop(server)
        try:
            live = _fill_offline(Path(server.root), 6000)
            env = {**os.environ, **FAST, **cluster.env, "STORAGE_ROOT": server.root, "LISTEN_ADDRESS": server.address,
                   "PYTHONPATH": str(REPO), "CONTAINER_SIZE": str(32 << 20)}
            folder, caught = Path(server.root) / "containers", 0
            for _ in range(2):
                run = subprocess.Popen([sys.executable, "-m", "final.compact"], env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
                while run.poll() is None and not list(folder.glob("*.tmp")):
                    time.sleep(0.001)
                caught += run.poll() is None                     # mid-way: copying into a .tmp
                run.kill()
                run.wait()
                _check_offline(Path(server.root), live)
            assert caught
            done = subprocess.run([sys.executable, "-m", "final.compact"], env=env, capture_output=True, text=True,
                                  timeout=120)
            assert done.returncode == 0, done.stderr[-1000:]
            assert not list((Path(server.root) / "containers").glob("*.tmp"))
            _check_offline(Path(server.root), live)
        finally:
            cluster.up()
        for data in live[:50]:
            assert requests.get(f"http://{server.address}/containers/{key_of(data)}", timeout=10).content == data


class TestCollection:
    """Chapter 8's tools work on replicas: the orphan collector marks unreferenced ones deleted."""

    def test_unreferenced_replicas_are_marked_and_referenced_ones_stay(self, client, cluster):
        kept, orphan = os.urandom(2000), os.urandom(2001)
        client.put("tf-kept", kept)
        client.put("tf-orphan", orphan)
        drop_versions("tf-orphan")
        results = [tool(cluster, "delete_orphan_object", server, ORPHAN_GRACE="0") for server in cluster.data_servers]
        assert all(r.returncode == 0 for r in results), [r.stderr[-800:] for r in results if r.returncode]
        assert holders(cluster, orphan) == [] and len(holders(cluster, kept)) == 3
        assert client.get("tf-kept").content == kept


def version_doc_of(data: bytes) -> list:
    """The replicas recorded for content ``data`` (by any version)."""
    from tests.chapter03.conftest import INDEX
    requests.post(f"{es_url()}/{INDEX}/_refresh", timeout=10)
    hits = requests.post(f"{es_url()}/{INDEX}/_search", json={"query": {"term": {"hash": digest.of(data)}},
                         "size": 1}, timeout=10).json()["hits"]["hits"]
    return hits[0]["_source"].get("replicas", []) if hits else []


def _answers(address: str) -> bool:
    try:
        return requests.get(f"http://{address}/healthz", timeout=1).ok
    except requests.RequestException:
        return False


def _container_bytes(root: Path) -> int:
    return sum(f.stat().st_size for f in (root / "containers").glob("*.ctr"))


def _fill_offline(root: Path, count: int) -> list[bytes]:
    """``count`` records of 16 KiB written straight into a stopped server's containers, half then
    deleted; the live half."""
    from chapter01_single.durable import Durability
    from final.containers.store import ContainerStore
    store = ContainerStore(root, 32 << 20, Durability(False))
    store.start()
    try:
        datas = [os.urandom(16384) for _ in range(count)]
        for data in datas:
            store.put(key_of(data), data)
        for data in datas[::2]:
            store.delete(key_of(data))
    finally:
        store.close()
    return datas[1::2]


def _check_offline(root: Path, live: list[bytes]) -> None:
    from chapter01_single.durable import Durability
    from final.containers.store import ContainerStore
    store = ContainerStore(root, 32 << 20, Durability(False))
    store.start()
    try:
        assert all(store.get(key_of(data)) == data for data in live)
    finally:
        store.close()

