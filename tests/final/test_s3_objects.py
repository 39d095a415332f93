"""final/'s S3 objects through boto3 (unmodified) and hand-signed requests: PUT, GET, HEAD, DELETE,
copy, DeleteObjects, digests and checksums, aws-chunked bodies, ranges and conditions (issue 20)."""
import base64
import hashlib
import os
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import google_crc32c
import pytest
import requests
from botocore.exceptions import ClientError

from tests.final import s3

BIG = (3 << 20) + 17           # past SMALL_OBJECT_LIMIT: 4+2 shard files
SMALL = 5000                   # three replicas in containers


@pytest.fixture(scope="module")
def bucket(alice):
    name = s3.bucket_name("objects")
    alice.create_bucket(Bucket=name)
    return name


def code(info) -> str:
    return info.value.response["Error"]["Code"]


def missing(client, bucket, key) -> bool:
    with pytest.raises(ClientError) as info:
        client.head_object(Bucket=bucket, Key=key)
    return info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


class TestPutGet:
    @pytest.mark.parametrize("size", [0, SMALL, BIG])
    def test_round_trip_with_md5_etag(self, alice, bucket, size):
        data = os.urandom(size)
        put = alice.put_object(Bucket=bucket, Key=f"rt/{size}", Body=data)
        etag = f'"{hashlib.md5(data).hexdigest()}"'
        assert put["ETag"] == etag
        got = alice.get_object(Bucket=bucket, Key=f"rt/{size}")
        assert got["Body"].read() == data and got["ETag"] == etag and got["ContentLength"] == size
        assert got["ContentType"] == "binary/octet-stream"

    def test_headers_and_metadata_are_kept(self, alice, bucket):
        expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        alice.put_object(Bucket=bucket, Key="meta", Body=b"<p>hi</p>", ContentType="text/html",
                         ContentEncoding="identity", ContentDisposition='attachment; filename="a.html"',
                         CacheControl="max-age=60", Expires=expires, ContentLanguage="en",
                         Metadata={"Colour": "blue", "n": "1"})
        head = alice.head_object(Bucket=bucket, Key="meta")
        assert (head["ContentType"], head["ContentEncoding"], head["CacheControl"], head["ContentLanguage"]) == \
            ("text/html", "identity", "max-age=60", "en")
        assert head["ContentDisposition"] == 'attachment; filename="a.html"'
        assert head["Expires"] == expires and head["Metadata"] == {"colour": "blue", "n": "1"}
        assert head["ContentLength"] == 9 and "Body" not in head

    def test_keys_are_taken_as_written(self, alice, bucket):
        keys = ["a//b", "a/b", "x/", "x", "sp ace+plus%25", "ünï/κλειδί/🙂", "q?uery#frag", "/lead"]
        for number, key in enumerate(keys):
            alice.put_object(Bucket=bucket, Key=f"k/{key}", Body=str(number).encode())
        for number, key in enumerate(keys):
            assert alice.get_object(Bucket=bucket, Key=f"k/{key}")["Body"].read() == str(number).encode()

    def test_overwrite_gives_the_new_content(self, alice, bucket):
        alice.put_object(Bucket=bucket, Key="again", Body=b"one")
        alice.put_object(Bucket=bucket, Key="again", Body=b"two")
        assert alice.get_object(Bucket=bucket, Key="again")["Body"].read() == b"two"

    def test_missing_key_and_bucket(self, alice, bucket):
        with pytest.raises(ClientError) as info:
            alice.get_object(Bucket=bucket, Key="never")
        assert code(info) == "NoSuchKey"
        with pytest.raises(ClientError) as info:
            alice.get_object(Bucket=s3.bucket_name("none"), Key="x")
        assert code(info) == "NoSuchBucket"

    def test_error_document_has_request_id(self, front, bucket):
        answer = s3.signed(front, "GET", f"/{bucket}/nope", user="alice")
        assert answer.status_code == 404 and s3.error_code(answer) == "NoSuchKey"
        assert f"<RequestId>{answer.headers['x-amz-request-id']}</RequestId>" in answer.text
        assert f"<Resource>/{bucket}/nope</Resource>" in answer.text


class TestIntegrity:
    def test_wrong_content_md5_stores_nothing(self, alice, bucket):
        wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
        with pytest.raises(ClientError) as info:
            alice.put_object(Bucket=bucket, Key="md5", Body=b"data", ContentMD5=wrong)
        assert code(info) == "BadDigest" and missing(alice, bucket, "md5")

    def test_malformed_content_md5(self, front, bucket):
        answer = s3.signed(front, "PUT", f"/{bucket}/md5x", user="alice", body=b"d", headers={"Content-MD5": "zz"})
        assert answer.status_code == 400 and s3.error_code(answer) == "InvalidDigest"

    def test_right_content_md5(self, alice, bucket):
        right = base64.b64encode(hashlib.md5(b"data").digest()).decode()
        alice.put_object(Bucket=bucket, Key="md5ok", Body=b"data", ContentMD5=right)
        assert alice.get_object(Bucket=bucket, Key="md5ok")["Body"].read() == b"data"

    @pytest.mark.parametrize("algorithm", ["CRC32", "SHA1", "SHA256"])
    def test_checksums_are_checked_and_returned(self, alice, bucket, algorithm):
        data = os.urandom(BIG if algorithm == "SHA1" else SMALL)
        put = alice.put_object(Bucket=bucket, Key=f"sum/{algorithm}", Body=data, ChecksumAlgorithm=algorithm)
        field = f"Checksum{algorithm}"
        got = alice.get_object(Bucket=bucket, Key=f"sum/{algorithm}", ChecksumMode="ENABLED")
        assert got[field] == put[field] and got["Body"].read() == data
        if algorithm == "SHA256":
            assert put[field] == base64.b64encode(hashlib.sha256(data).digest()).decode()

    def test_crc32c(self, front, alice, bucket):
        """(boto3 computes CRC32C only with awscrt installed: the header is computed here)"""
        data = os.urandom(BIG)
        crc = base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()
        answer = s3.signed(front, "PUT", f"/{bucket}/sum/crc32c", user="alice", body=data,
                           headers={"x-amz-checksum-crc32c": crc})
        assert answer.status_code == 200 and answer.headers["x-amz-checksum-crc32c"] == crc
        head = alice.head_object(Bucket=bucket, Key="sum/crc32c", ChecksumMode="ENABLED")
        assert head["ChecksumCRC32C"] == crc

    def test_wrong_checksum_stores_nothing(self, front, alice, bucket):
        answer = s3.signed(front, "PUT", f"/{bucket}/sum/wrong", user="alice", body=b"data",
                           headers={"x-amz-checksum-crc32": "AAAAAA=="})
        assert answer.status_code == 400 and s3.error_code(answer) == "BadDigest"
        assert missing(alice, bucket, "sum/wrong")

    @pytest.mark.parametrize("size", [SMALL, BIG])
    def test_payload_not_matching_its_signed_sha256_stores_nothing(self, front, alice, bucket, size):
        data = os.urandom(size)
        answer = s3.signed(front, "PUT", f"/{bucket}/sha/{size}", user="alice", body=data,
                           payload=hashlib.sha256(b"something else").hexdigest())
        assert answer.status_code == 400 and s3.error_code(answer) == "XAmzContentSHA256Mismatch"
        assert missing(alice, bucket, f"sha/{size}")

    @pytest.mark.parametrize("size", [SMALL, BIG])
    def test_unsigned_payload_is_accepted(self, front, alice, bucket, size):
        data = os.urandom(size)
        answer = s3.signed(front, "PUT", f"/{bucket}/unsigned/{size}", user="alice", body=data,
                           payload="UNSIGNED-PAYLOAD")
        assert answer.status_code == 200, answer.text
        assert answer.headers["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
        assert alice.get_object(Bucket=bucket, Key=f"unsigned/{size}")["Body"].read() == data


class TestAwsChunked:
    def put_chunked(self, front, bucket, key, data, *, signed: bool, chunk: int = 64 << 10, damage=None):
        form = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" if signed else "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
        headers = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data))}
        if not signed:
            headers["x-amz-trailer"] = "x-amz-checksum-crc32"
        when = datetime.now(timezone.utc)
        body_for_length = s3.aws_chunked(data, chunk, "0" * 64 if signed else None, when, user="alice",
                                         trailer=None if signed else "x-amz-checksum-crc32")
        headers["Content-Length"] = str(len(body_for_length))
        url, signed_headers = s3.sign(front, "PUT", s3.key_path(bucket, key), payload=form, headers=headers,
                                      when=when, user="alice")
        body = s3.aws_chunked(data, chunk, s3.seed_signature(signed_headers) if signed else None, when, user="alice",
                              trailer=None if signed else "x-amz-checksum-crc32")
        body = damage(body) if damage else body
        return requests.put(url, data=body, headers=signed_headers, timeout=60)

    @pytest.mark.parametrize("signed", [True, False])
    @pytest.mark.parametrize("size", [SMALL, BIG])
    def test_chunked_upload(self, front, alice, bucket, signed, size):
        data = os.urandom(size)
        answer = self.put_chunked(front, bucket, f"chunked/{signed}/{size}", data, signed=signed)
        assert answer.status_code == 200, answer.text
        got = alice.get_object(Bucket=bucket, Key=f"chunked/{signed}/{size}")
        assert got["Body"].read() == data and got.get("ContentEncoding") is None
        assert got["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
        if not signed:
            head = alice.head_object(Bucket=bucket, Key=f"chunked/{signed}/{size}", ChecksumMode="ENABLED")
            assert head["ChecksumCRC32"] == base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()

    def test_a_forged_chunk_stores_nothing(self, front, alice, bucket):
        data = os.urandom(BIG)
        answer = self.put_chunked(front, bucket, "chunked/forged", data, signed=True,
                                  damage=lambda body: body[:-200] + bytes([body[-200] ^ 1]) + body[-199:])
        assert answer.status_code in (400, 403) and missing(alice, bucket, "chunked/forged")
        data_pos = len(f"{64 << 10:x};chunk-signature={'0' * 64}\r\n") + 10
        answer = self.put_chunked(front, bucket, "chunked/forged", data, signed=True,
                                  damage=lambda body: body[:data_pos] + bytes([body[data_pos] ^ 1]) + body[data_pos + 1:])
        assert answer.status_code == 403 and s3.error_code(answer) == "SignatureDoesNotMatch"
        assert missing(alice, bucket, "chunked/forged")

    def test_a_wrong_trailing_checksum_stores_nothing(self, front, alice, bucket):
        data = os.urandom(SMALL)
        crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big"))
        answer = self.put_chunked(front, bucket, "chunked/crc", data, signed=False,
                                  damage=lambda body: body.replace(b":" + crc, b":AAAAAA=="))
        assert answer.status_code == 400 and s3.error_code(answer) == "BadDigest"
        assert missing(alice, bucket, "chunked/crc")


class TestRangesAndConditions:
    @pytest.fixture(scope="class")
    @classmethod
    def stored(cls, alice, bucket):
        data = os.urandom(BIG)
        alice.put_object(Bucket=bucket, Key="ranged", Body=data)
        return data, alice.head_object(Bucket=bucket, Key="ranged")

    @pytest.mark.parametrize("header,first,last", [("bytes=0-0", 0, 0), ("bytes=100-2000000", 100, 2000000),
                                                   ("bytes=-10", BIG - 10, BIG - 1), ("bytes=3145000-", 3145000, BIG - 1)])
    def test_one_range_is_206(self, alice, bucket, stored, header, first, last):
        got = alice.get_object(Bucket=bucket, Key="ranged", Range=header)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert got["ContentRange"] == f"bytes {first}-{last}/{BIG}"
        assert got["Body"].read() == stored[0][first:last + 1]

    def test_unsatisfiable_range(self, alice, bucket, stored):
        with pytest.raises(ClientError) as info:
            alice.get_object(Bucket=bucket, Key="ranged", Range=f"bytes={BIG}-")
        assert code(info) == "InvalidRange"
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 416

    def test_conditions(self, alice, bucket, stored):
        etag, modified = stored[1]["ETag"], stored[1]["LastModified"]
        later, earlier = modified + timedelta(hours=1), modified - timedelta(hours=1)
        assert alice.get_object(Bucket=bucket, Key="ranged", IfMatch=etag)["ContentLength"] == BIG
        for condition, status in [({"IfMatch": '"0000"'}, 412), ({"IfNoneMatch": etag}, 304),
                                  ({"IfModifiedSince": later}, 304), ({"IfUnmodifiedSince": earlier}, 412),
                                  ({"IfNoneMatch": "*"}, 304)]:
            with pytest.raises(ClientError) as info:
                alice.get_object(Bucket=bucket, Key="ranged", **condition)
            assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == status, condition
        # If-Match true makes If-Unmodified-Since moot; a failed If-None-Match makes If-Modified-Since moot
        assert alice.get_object(Bucket=bucket, Key="ranged", IfMatch=etag, IfUnmodifiedSince=earlier)["ETag"] == etag
        assert alice.get_object(Bucket=bucket, Key="ranged", IfNoneMatch='"0000"', IfModifiedSince=later)["ETag"] == etag

    def test_response_overrides(self, alice, bucket, stored):
        got = alice.get_object(Bucket=bucket, Key="ranged", ResponseContentType="text/plain",
                               ResponseContentDisposition="inline", ResponseCacheControl="no-cache")
        assert (got["ContentType"], got["ContentDisposition"], got["CacheControl"]) == ("text/plain", "inline", "no-cache")


class TestDelete:
    def test_delete_is_204_also_for_a_missing_key(self, alice, bucket):
        alice.put_object(Bucket=bucket, Key="del", Body=b"x")
        assert alice.delete_object(Bucket=bucket, Key="del")["ResponseMetadata"]["HTTPStatusCode"] == 204
        assert missing(alice, bucket, "del")
        assert alice.delete_object(Bucket=bucket, Key="del")["ResponseMetadata"]["HTTPStatusCode"] == 204

    def test_delete_objects(self, alice, bucket):
        for key in ("m/1", "m/2"):
            alice.put_object(Bucket=bucket, Key=key, Body=b"x")
        answer = alice.delete_objects(Bucket=bucket, Delete={"Objects": [
            {"Key": "m/1"}, {"Key": "m/2"}, {"Key": "m/never"}, {"Key": "k" * 1025}]})
        assert sorted(d["Key"] for d in answer["Deleted"]) == ["m/1", "m/2", "m/never"]
        assert [(e["Key"], e["Code"]) for e in answer["Errors"]] == [("k" * 1025, "KeyTooLongError")]
        assert missing(alice, bucket, "m/1") and missing(alice, bucket, "m/2")

    def test_quiet_answers_only_errors(self, alice, bucket):
        keys = [f"q/{n}" for n in range(300)]
        for key in keys[:5]:
            alice.put_object(Bucket=bucket, Key=key, Body=b"x")
        answer = alice.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
        assert "Deleted" not in answer and "Errors" not in answer
        assert all(missing(alice, bucket, key) for key in keys[:5])

    def test_more_than_1000_keys_is_malformed(self, alice, bucket):
        with pytest.raises(ClientError) as info:
            alice.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": f"x{n}"} for n in range(1001)]})
        assert code(info) == "MalformedXML"


class TestCopy:
    @staticmethod
    def shard_files() -> int:
        return sum(1 for _ in Path("/tmp/osd").glob("*/objects/*"))

    def test_copy_moves_no_bytes_and_keeps_metadata(self, alice, bucket):
        data = os.urandom(BIG)
        alice.put_object(Bucket=bucket, Key="src", Body=data, ContentType="text/x-src", Metadata={"a": "1"})
        before = self.shard_files()
        answer = alice.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
        assert answer["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
        assert self.shard_files() == before
        got = alice.get_object(Bucket=bucket, Key="dst")
        assert got["Body"].read() == data and got["ContentType"] == "text/x-src" and got["Metadata"] == {"a": "1"}

    def test_replace_takes_the_request_metadata(self, alice, bucket):
        alice.put_object(Bucket=bucket, Key="src2", Body=b"abc", Metadata={"a": "1"})
        alice.copy_object(Bucket=bucket, Key="dst2", CopySource=f"{bucket}/src2", MetadataDirective="REPLACE",
                          Metadata={"b": "2"}, ContentType="text/plain")
        head = alice.head_object(Bucket=bucket, Key="dst2")
        assert head["Metadata"] == {"b": "2"} and head["ContentType"] == "text/plain"

    def test_copy_onto_itself_needs_replace(self, alice, bucket):
        alice.put_object(Bucket=bucket, Key="self", Body=b"abc")
        with pytest.raises(ClientError) as info:
            alice.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})
        assert code(info) == "InvalidRequest"
        alice.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"},
                          MetadataDirective="REPLACE", Metadata={"c": "3"})
        assert alice.head_object(Bucket=bucket, Key="self")["Metadata"] == {"c": "3"}

    def test_copy_source_conditions(self, alice, bucket):
        alice.put_object(Bucket=bucket, Key="cond", Body=b"abc")
        with pytest.raises(ClientError) as info:
            alice.copy_object(Bucket=bucket, Key="cond2", CopySource={"Bucket": bucket, "Key": "cond"},
                              CopySourceIfMatch='"00"')
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
        with pytest.raises(ClientError) as info:
            alice.copy_object(Bucket=bucket, Key="cond2", CopySource={"Bucket": bucket, "Key": "cond"},
                              CopySourceIfNoneMatch=f'"{hashlib.md5(b"abc").hexdigest()}"')
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
        assert missing(alice, bucket, "cond2")

    def test_url_encoded_source_and_missing_source(self, alice, bucket):
        alice.put_object(Bucket=bucket, Key="spa ce/ü", Body=b"abc")
        alice.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "spa ce/ü"})
        assert alice.get_object(Bucket=bucket, Key="copied")["Body"].read() == b"abc"
        with pytest.raises(ClientError) as info:
            alice.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "absent"})
        assert code(info) == "NoSuchKey"
