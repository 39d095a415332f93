"""Chapter 8's tools, as final/ runs them, count S3 keys (issue 20): content stored only through S3
is never an orphan, an overwritten S3 object's old content becomes one, and the scanner checks it."""
import os
from pathlib import Path


from tests.chapter08.test_chapter08 import tool
from tests.final import s3
from tests.final.containers import holders

BIG = (2 << 20) + 3


def shard_files(data: bytes) -> list[Path]:
    from chapter03_metadata.common import digest
    key = digest.key(digest.of(data))
    return sorted(Path("/tmp/osd").glob(f"*/objects/{key}.*"))


def collect(cluster) -> None:
    runs = [tool(cluster, "delete_orphan_object", server, ORPHAN_GRACE="0") for server in cluster.data_servers]
    assert all(run.returncode == 0 for run in runs), [run.stderr[-800:] for run in runs if run.returncode]


class TestToolsSeeS3Keys:
    def test_s3_only_content_is_no_orphan_and_overwritten_content_is(self, cluster, alice):
        bucket = s3.bucket_name("tools")
        alice.create_bucket(Bucket=bucket)
        small, big, old = os.urandom(3000), os.urandom(BIG), os.urandom(3001)
        alice.put_object(Bucket=bucket, Key="small", Body=small)
        alice.put_object(Bucket=bucket, Key="big", Body=big)
        alice.put_object(Bucket=bucket, Key="overwritten", Body=old)
        alice.put_object(Bucket=bucket, Key="overwritten", Body=b"new content")
        collect(cluster)
        assert len(holders(cluster, small)) == 3 and len(shard_files(big)) == 6
        assert alice.get_object(Bucket=bucket, Key="big")["Body"].read() == big
        assert len(holders(cluster, old)) == 3                 # its old version still refers to it
        trimmed = tool(cluster, "delete_old_metadata")
        assert trimmed.returncode == 0, trimmed.stderr[-800:]
        collect(cluster)
        assert holders(cluster, old) == [] and len(holders(cluster, small)) == 3
        assert alice.get_object(Bucket=bucket, Key="overwritten")["Body"].read() == b"new content"

    def test_the_scanner_rebuilds_an_s3_object(self, cluster, alice):
        bucket = s3.bucket_name("scan")
        alice.create_bucket(Bucket=bucket)
        big = os.urandom(BIG)
        alice.put_object(Bucket=bucket, Key="big", Body=big)
        lost, kept = shard_files(big)[:2]
        lost.unlink()
        server = next(s for s in cluster.data_servers if Path(s.root) == kept.parent.parent)   # one that has a shard
        scanned = tool(cluster, "object_scanner", server)       # (other tests leave damaged content: exit 1)
        assert len(shard_files(big)) == 6, scanned.stderr[-800:]
        assert alice.get_object(Bucket=bucket, Key="big")["Body"].read() == big
