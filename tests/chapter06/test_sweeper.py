"""The data server's temp sweeper lets go of everything a swept upload held (issue 18: it kept a
running digest and a lock per swept upload, forever). Real files in a temporary folder."""
import io
import os
import time

from chapter05_erasure.data_server.objects import ShardStore
from chapter06_resumable.data_server.temp import ResumableTempStore

KEY = "MBMxWHrPMsuOBaVYHkwScZQRyTRMQyiKp2oelpLZza8"


def test_a_swept_upload_leaves_no_lock_digest_or_version_behind(tmp_path):
    temps = ResumableTempStore(ShardStore(tmp_path))
    info = temps.create(f"{KEY}.0", 20000)
    temps.write_at(info.Uuid, 0, io.BytesIO(b"x" * 8000))          # a digest, a lock and a version now
    assert info.Uuid in temps._hashes and info.Uuid in temps._locks and info.Uuid in temps._versions
    old = time.time() - 3600
    for path in temps.folder.iterdir():
        os.utime(path, (old, old))
    assert temps.sweep(60) == 2
    assert list(temps.folder.iterdir()) == []
    assert info.Uuid not in temps._hashes and info.Uuid not in temps._locks and info.Uuid not in temps._versions
