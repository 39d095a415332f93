"""A temp commit syncs the temp's bytes before it renames them into ``objects/``, and the folder
after (issue 18). Real files; ``os.fsync`` is watched."""
import io
import os

from chapter01_single import durable
from chapter03_metadata.common import digest
from chapter04_dedup.data_server.objects import ContentStore
from chapter04_dedup.data_server.temp import TempStore


def test_a_commit_syncs_the_bytes_then_the_objects_folder(tmp_path, monkeypatch):
    seen, real = [], os.fsync
    monkeypatch.setattr(durable.os, "fsync", lambda fd: (seen.append(os.readlink(f"/proc/self/fd/{fd}")), real(fd)))
    store = ContentStore(tmp_path)
    temps = TempStore(store)
    data = b"durable content"
    info = temps.create(digest.key(digest.of(data)), len(data))
    temps.append(info.Uuid, io.BytesIO(data))
    seen.clear()
    temps.commit(info.Uuid)
    assert seen == [str(store.temp / f"{info.Uuid}.dat"), str(store.objects)]
    assert (store.objects / info.Name).read_bytes() == data
