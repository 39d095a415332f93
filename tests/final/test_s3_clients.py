"""The AWS CLI and MinIO's Python SDK, unmodified, against final/ (issue 20): the commands a user
types, each checked by what another client then sees."""
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from minio import Minio
from minio.error import S3Error

from tests.final import s3

AWS = str(Path(sys.executable).parent / "aws")


def aws(front: str, *args: str, user: str = "alice", check: bool = True) -> subprocess.CompletedProcess:
    access, secret = s3.USERS[user]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret, "AWS_DEFAULT_REGION": s3.REGION,
           "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_PAGER": ""}
    done = subprocess.run([AWS, "--endpoint-url", f"http://{front}", *args], capture_output=True, text=True, env=env,
                          timeout=120)
    if check:
        assert done.returncode == 0, f"aws {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


class TestAwsCli:
    def test_mb_cp_ls_rm_rb(self, front, alice, tmp_path):
        bucket = s3.bucket_name("cli")
        source = tmp_path / "hello.txt"
        source.write_bytes(b"hello from the aws cli\n" * 1000)
        assert f"make_bucket: {bucket}" in aws(front, "s3", "mb", f"s3://{bucket}").stdout
        aws(front, "s3", "cp", str(source), f"s3://{bucket}/dir/hello.txt")
        assert alice.get_object(Bucket=bucket, Key="dir/hello.txt")["Body"].read() == source.read_bytes()
        listing = aws(front, "s3", "ls", f"s3://{bucket}/dir/").stdout
        assert "23000 hello.txt" in listing
        assert "PRE dir/" in aws(front, "s3", "ls", f"s3://{bucket}").stdout
        assert bucket in aws(front, "s3", "ls").stdout
        aws(front, "s3", "cp", f"s3://{bucket}/dir/hello.txt", str(tmp_path / "back.txt"))
        assert (tmp_path / "back.txt").read_bytes() == source.read_bytes()
        aws(front, "s3", "rm", f"s3://{bucket}/dir/hello.txt")
        assert "Contents" not in alice.list_objects_v2(Bucket=bucket)
        aws(front, "s3", "rb", f"s3://{bucket}")
        assert bucket not in [b["Name"] for b in alice.list_buckets()["Buckets"]]

    def test_sync_both_ways(self, front, alice, tmp_path):
        bucket = s3.bucket_name("sync")
        alice.create_bucket(Bucket=bucket)
        up = tmp_path / "up"
        for name, size in (("a.bin", 10), ("sub/b.bin", 70000), ("sub/deeper/c.bin", 2 << 20)):
            (up / name).parent.mkdir(parents=True, exist_ok=True)
            (up / name).write_bytes(os.urandom(size))
        aws(front, "s3", "sync", str(up), f"s3://{bucket}/tree")
        keys = sorted(e["Key"] for e in alice.list_objects_v2(Bucket=bucket)["Contents"])
        assert keys == ["tree/a.bin", "tree/sub/b.bin", "tree/sub/deeper/c.bin"]
        again = aws(front, "s3", "sync", str(up), f"s3://{bucket}/tree").stdout
        assert "upload:" not in again                             # nothing changed: nothing sent
        down = tmp_path / "down"
        aws(front, "s3", "sync", f"s3://{bucket}/tree", str(down))
        for name in ("a.bin", "sub/b.bin", "sub/deeper/c.bin"):
            assert (down / name).read_bytes() == (up / name).read_bytes()
        aws(front, "s3", "rb", f"s3://{bucket}", "--force")

    def test_s3api(self, front, tmp_path):
        bucket = s3.bucket_name("s3api")
        aws(front, "s3api", "create-bucket", "--bucket", bucket)
        body = tmp_path / "body"
        body.write_bytes(b"s3api body")
        put = json.loads(aws(front, "s3api", "put-object", "--bucket", bucket, "--key", "k", "--body", str(body),
                             "--content-type", "text/plain", "--metadata", "owner=me").stdout)
        assert put["ETag"] == f'"{hashlib.md5(b"s3api body").hexdigest()}"'
        head = json.loads(aws(front, "s3api", "head-object", "--bucket", bucket, "--key", "k").stdout)
        assert head["ContentLength"] == 10 and head["ContentType"] == "text/plain" and head["Metadata"] == {"owner": "me"}
        listed = json.loads(aws(front, "s3api", "list-objects-v2", "--bucket", bucket).stdout)
        assert [e["Key"] for e in listed["Contents"]] == ["k"]
        acl = json.loads(aws(front, "s3api", "get-bucket-acl", "--bucket", bucket).stdout)
        assert acl["Owner"]["ID"] == "alice"
        failed = aws(front, "s3api", "get-object", "--bucket", bucket, "--key", "none", str(tmp_path / "x"), check=False)
        assert failed.returncode != 0 and "NoSuchKey" in failed.stderr
        aws(front, "s3api", "delete-object", "--bucket", bucket, "--key", "k")
        aws(front, "s3api", "delete-bucket", "--bucket", bucket)


class TestMinioSdk:
    @pytest.fixture(scope="class")
    @classmethod
    def minio(cls, front):
        access, secret = s3.USERS["alice"]
        return Minio(front, access_key=access, secret_key=secret, secure=False, region=s3.REGION)

    def test_the_usual_calls(self, minio, alice, tmp_path):
        bucket = s3.bucket_name("minio")
        minio.make_bucket(bucket)
        assert minio.bucket_exists(bucket) and bucket in [b.name for b in minio.list_buckets()]
        data = os.urandom(3 << 20)
        result = minio.put_object(bucket, "dir/obj", io.BytesIO(data), len(data), content_type="application/x-test",
                                  metadata={"x-amz-meta-colour": "red"})
        assert result.etag == hashlib.md5(data).hexdigest()
        stat = minio.stat_object(bucket, "dir/obj")
        assert stat.size == len(data) and stat.content_type == "application/x-test"
        assert stat.metadata["x-amz-meta-colour"] == "red"
        response = minio.get_object(bucket, "dir/obj", offset=10, length=100)
        assert response.read() == data[10:110]
        response.close()
        assert [o.object_name for o in minio.list_objects(bucket, recursive=True)] == ["dir/obj"]
        assert [o.object_name for o in minio.list_objects(bucket)] == ["dir/"]
        minio.fput_object(bucket, "file", __file__)
        minio.fget_object(bucket, "file", str(tmp_path / "copy.py"))
        assert (tmp_path / "copy.py").read_bytes() == Path(__file__).read_bytes()
        url = minio.presigned_get_object(bucket, "dir/obj")
        assert requests.get(url).content == data
        assert alice.get_object(Bucket=bucket, Key="file")["Body"].read() == Path(__file__).read_bytes()
        minio.remove_object(bucket, "dir/obj")
        minio.remove_object(bucket, "file")
        with pytest.raises(S3Error) as info:
            minio.stat_object(bucket, "dir/obj")
        assert info.value.code == "NoSuchKey"
        minio.remove_bucket(bucket)
        assert not minio.bucket_exists(bucket)
