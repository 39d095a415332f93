"""Acknowledged writes are on disk: fsyncs of the file and of its folder before a PUT answers
(issue 18), and one folder fsync shared by concurrent commits. Real files; ``os.fsync`` is
watched, not replaced."""
import os
import threading
import time

import pytest

from chapter01_single import durable
from chapter01_single.store import FileStore


@pytest.fixture
def synced(monkeypatch):
    """The paths ``os.fsync`` was called on, in order."""
    seen, real = [], os.fsync

    def watching(fd):
        seen.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)
    monkeypatch.setattr(durable.os, "fsync", watching)
    return seen


def test_a_put_syncs_its_file_then_the_objects_folder_before_it_returns(tmp_path, synced):
    store = FileStore(tmp_path)
    store.save("name", [b"abc", b"def"])
    assert len(synced) == 2
    assert synced[0].startswith(str(store.temp / "put-"))          # the bytes, before the rename
    assert synced[1] == str(store.objects)                          # the name, after it
    assert (store.objects / "name").read_bytes() == b"abcdef"


def test_with_fsync_off_nothing_is_synced(tmp_path, synced):
    FileStore(tmp_path, durable.Durability(False)).save("name", [b"x"])
    assert synced == []


def test_concurrent_commits_share_folder_fsyncs_and_each_waits_for_one_that_began_after_it(tmp_path, monkeypatch):
    starts, real = [], os.fsync

    def slow(fd):
        starts.append(time.monotonic())
        time.sleep(0.05)
        real(fd)
    monkeypatch.setattr(durable.os, "fsync", slow)
    sync, calls = durable.Durability(), []

    def commit():
        called = time.monotonic()
        sync.folder(tmp_path)
        calls.append((called, time.monotonic()))
    threads = [threading.Thread(target=commit) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(starts) < 16 / 2                       # shared: a handful of fsyncs for sixteen commits
    for called, returned in calls:                    # and none answered before an fsync that covers it
        assert any(called <= start and start + 0.05 <= returned for start in starts)
