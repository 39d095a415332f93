"""Multipart upload through boto3 (unmodified), hand-signed requests and the AWS CLI (issue 21):
parts stored as any object, Complete moving no byte, the errors S3 answers, concurrency on both api
servers, and chapter 8's tools on parts of unfinished, completed and aborted uploads.

The test cluster's ``MULTIPART_MIN_PART`` is 64 KiB (``conftest.py``), so parts stay small.
"""
import hashlib
import os
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from botocore.exceptions import ClientError

from tests.final import s3
from tests.final.containers import holders
from tests.final.test_s3_objects import code
from tests.final.test_s3_tools import collect, shard_files
from tests.support import es_url
from tests.chapter03.conftest import INDEX

PART = 64 << 10                    # the cluster's MULTIPART_MIN_PART
BIG_PART = (2 << 20) + 5           # past SMALL_OBJECT_LIMIT: 4+2 shard files


@pytest.fixture(scope="module")
def bucket(alice):
    return s3.new_bucket(alice, "multipart")


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def multipart_etag(parts: list[bytes]) -> str:
    return f'"{hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()}-{len(parts)}"'


def upload(client, bucket, key, parts: list[bytes], **create):
    """An upload with ``parts`` sent (numbered from 1): (upload id, [{PartNumber, ETag}])."""
    upload_id = client.create_multipart_upload(Bucket=bucket, Key=key, **create)["UploadId"]
    sent = []
    for number, data in enumerate(parts, 1):
        answer = client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data)
        assert answer["ETag"] == f'"{md5(data)}"'
        sent.append({"PartNumber": number, "ETag": answer["ETag"]})
    return upload_id, sent


def complete(client, bucket, key, upload_id, sent):
    return client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                            MultipartUpload={"Parts": sent})


def put_multipart(client, bucket, key, parts: list[bytes], **create):
    upload_id, sent = upload(client, bucket, key, parts, **create)
    return upload_id, complete(client, bucket, key, upload_id, sent)


class TestUploadAndRead:
    def test_complete_gives_one_object_with_s3s_etag(self, alice, bucket):
        parts = [os.urandom(PART), os.urandom(PART + 7), os.urandom(1000)]
        _, done = put_multipart(alice, bucket, "whole", parts, ContentType="text/x-log", Metadata={"rotated": "yes"})
        assert done["ETag"] == multipart_etag(parts) and done["Key"] == "whole" and done["Bucket"] == bucket
        got = alice.get_object(Bucket=bucket, Key="whole")
        assert got["Body"].read() == b"".join(parts)
        assert got["ETag"] == multipart_etag(parts) and got["ContentLength"] == sum(map(len, parts))
        assert got["ContentType"] == "text/x-log" and got["Metadata"] == {"rotated": "yes"}
        listed = alice.list_objects_v2(Bucket=bucket, Prefix="whole")["Contents"]
        assert [(o["Key"], o["Size"], o["ETag"]) for o in listed] == [("whole", sum(map(len, parts)), multipart_etag(parts))]

    def test_ranges_across_part_boundaries_and_part_numbers(self, alice, bucket):
        parts = [os.urandom(PART), os.urandom(BIG_PART), os.urandom(PART), os.urandom(10)]
        put_multipart(alice, bucket, "ranges", parts)
        data = b"".join(parts)
        for first, last in [(PART - 3, PART + 2), (PART - 1, 2 * PART + BIG_PART), (0, len(data) - 1),
                            (len(data) - 12, len(data) - 1), (PART + 100, PART + 200)]:
            got = alice.get_object(Bucket=bucket, Key="ranges", Range=f"bytes={first}-{last}")
            assert got["Body"].read() == data[first:last + 1], (first, last)
            assert got["ContentRange"] == f"bytes {first}-{last}/{len(data)}"
        for number, part in enumerate(parts, 1):
            got = alice.get_object(Bucket=bucket, Key="ranges", PartNumber=number)
            assert got["Body"].read() == part and got["PartsCount"] == len(parts)
            head = alice.head_object(Bucket=bucket, Key="ranges", PartNumber=number)
            assert head["ContentLength"] == len(part) and head["ETag"] == multipart_etag(parts)
        with pytest.raises(ClientError) as info:
            alice.head_object(Bucket=bucket, Key="ranges", PartNumber=5)
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 416

    def test_a_part_sent_again_replaces_it_and_content_md5_is_checked(self, alice, bucket):
        upload_id, sent = upload(alice, bucket, "again", [os.urandom(PART), b"first try"])
        second = alice.upload_part(Bucket=bucket, Key="again", UploadId=upload_id, PartNumber=2, Body=b"second")
        with pytest.raises(ClientError) as info:
            alice.upload_part(Bucket=bucket, Key="again", UploadId=upload_id, PartNumber=2, Body=b"third",
                              ContentMD5="1B2M2Y8AsgTpgAmY7PhCfg==")
        assert code(info) == "BadDigest"
        listed = alice.list_parts(Bucket=bucket, Key="again", UploadId=upload_id)["Parts"]
        assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed] == \
            [(1, sent[0]["ETag"], PART), (2, second["ETag"], 6)]
        with pytest.raises(ClientError) as info:             # the replaced part's ETag is no longer good
            complete(alice, bucket, "again", upload_id, sent)
        assert code(info) == "InvalidPart"
        complete(alice, bucket, "again", upload_id, [sent[0], {"PartNumber": 2, "ETag": second["ETag"]}])
        assert alice.get_object(Bucket=bucket, Key="again")["Body"].read()[-6:] == b"second"

    def test_part_numbers_may_skip_and_repeating_complete_answers_the_same(self, alice, bucket):
        upload_id = alice.create_multipart_upload(Bucket=bucket, Key="gaps")["UploadId"]
        sent = []
        for number, data in [(3, os.urandom(PART)), (7, os.urandom(PART)), (10000, b"end")]:
            etag = alice.upload_part(Bucket=bucket, Key="gaps", UploadId=upload_id, PartNumber=number, Body=data)["ETag"]
            sent.append({"PartNumber": number, "ETag": etag})
        first = complete(alice, bucket, "gaps", upload_id, sent)
        again = complete(alice, bucket, "gaps", upload_id, sent)
        assert first["ETag"] == again["ETag"] and first["ETag"].endswith('-3"')
        requests.post(f"{es_url()}/{INDEX}-s3/_refresh", timeout=30)
        versions = requests.get(f"{es_url()}/{INDEX}-s3/_search", timeout=30,
                                json={"query": {"term": {"name": f"{bucket}/gaps"}}}).json()["hits"]["total"]["value"]
        assert versions == 1

    def test_upload_part_copy_takes_a_range_or_a_whole_object(self, alice, bucket):
        source = os.urandom(3 * PART)
        alice.put_object(Bucket=bucket, Key="copy-source", Body=source)
        upload_id = alice.create_multipart_upload(Bucket=bucket, Key="copied")["UploadId"]
        whole = alice.upload_part_copy(Bucket=bucket, Key="copied", UploadId=upload_id, PartNumber=1,
                                       CopySource={"Bucket": bucket, "Key": "copy-source"})
        ranged = alice.upload_part_copy(Bucket=bucket, Key="copied", UploadId=upload_id, PartNumber=2,
                                        CopySource={"Bucket": bucket, "Key": "copy-source"},
                                        CopySourceRange=f"bytes=10-{PART + 9}")
        assert whole["CopyPartResult"]["ETag"] == f'"{md5(source)}"'
        assert ranged["CopyPartResult"]["ETag"] == f'"{md5(source[10:PART + 10])}"'
        with pytest.raises(ClientError) as info:
            alice.upload_part_copy(Bucket=bucket, Key="copied", UploadId=upload_id, PartNumber=3,
                                   CopySource={"Bucket": bucket, "Key": "copy-source"},
                                   CopySourceRange=f"bytes=0-{3 * PART}")
        assert code(info) == "InvalidArgument"
        complete(alice, bucket, "copied", upload_id, [{"PartNumber": 1, "ETag": whole["CopyPartResult"]["ETag"]},
                                                      {"PartNumber": 2, "ETag": ranged["CopyPartResult"]["ETag"]}])
        assert alice.get_object(Bucket=bucket, Key="copied")["Body"].read() == source + source[10:PART + 10]

    def test_copy_object_of_a_multipart_object_moves_no_byte(self, alice, bucket):
        parts = [os.urandom(BIG_PART), os.urandom(PART)]
        put_multipart(alice, bucket, "mp-source", parts)
        alice.copy_object(Bucket=bucket, Key="mp-copy", CopySource={"Bucket": bucket, "Key": "mp-source"})
        got = alice.get_object(Bucket=bucket, Key="mp-copy")
        assert got["Body"].read() == b"".join(parts) and got["ETag"] == multipart_etag(parts)
        assert len(shard_files(parts[0])) == 6                  # stored once

    def test_list_parts_and_uploads_page(self, alice, bucket):
        prefix = s3.bucket_name("logs")
        upload_id, sent = upload(alice, bucket, f"{prefix}/a", [b"x"] * 5)
        page = alice.list_parts(Bucket=bucket, Key=f"{prefix}/a", UploadId=upload_id, MaxParts=2)
        assert [p["PartNumber"] for p in page["Parts"]] == [1, 2] and page["IsTruncated"]
        page = alice.list_parts(Bucket=bucket, Key=f"{prefix}/a", UploadId=upload_id, MaxParts=2,
                                PartNumberMarker=page["NextPartNumberMarker"])
        assert [p["PartNumber"] for p in page["Parts"]] == [3, 4]
        ids = {upload_id}
        ids |= {alice.create_multipart_upload(Bucket=bucket, Key=f"{prefix}/a")["UploadId"]}
        ids |= {alice.create_multipart_upload(Bucket=bucket, Key=f"{prefix}/b")["UploadId"]}
        found, marker = [], {}
        while True:
            page = alice.list_multipart_uploads(Bucket=bucket, Prefix=f"{prefix}/", MaxUploads=2, **marker)
            found += [(u["Key"], u["UploadId"]) for u in page.get("Uploads", [])]
            assert all(u["Initiator"]["DisplayName"] == "alice" for u in page.get("Uploads", []))
            if not page["IsTruncated"]:
                break
            marker = {"KeyMarker": page["NextKeyMarker"], "UploadIdMarker": page["NextUploadIdMarker"]}
        assert sorted(found) == found and {i for _, i in found} == ids and len(found) == 3
        complete(alice, bucket, f"{prefix}/a", upload_id, sent[:1])
        left = alice.list_multipart_uploads(Bucket=bucket, Prefix=f"{prefix}/")["Uploads"]
        assert upload_id not in {u["UploadId"] for u in left} and len(left) == 2


class TestRefusals:
    def test_complete_checks_the_list(self, alice, bucket):
        upload_id, sent = upload(alice, bucket, "refused", [os.urandom(PART), b"small", os.urandom(PART)])
        cases = [([], "MalformedXML"), ([sent[1], sent[0]], "InvalidPartOrder"), ([sent[0], sent[0]], "InvalidPartOrder"),
                 ([sent[0], {"PartNumber": 2, "ETag": '"' + "0" * 32 + '"'}], "InvalidPart"),
                 ([sent[0], {"PartNumber": 4, "ETag": sent[1]["ETag"]}], "InvalidPart"),
                 ([sent[0], {"PartNumber": 10001, "ETag": sent[1]["ETag"]}], "InvalidPart"),
                 (sent, "EntityTooSmall")]
        for parts, expected in cases:
            with pytest.raises(ClientError) as info:
                complete(alice, bucket, "refused", upload_id, parts)
            assert code(info) == expected, parts
        complete(alice, bucket, "refused", upload_id, sent[:2])       # the small one last: good
        assert alice.get_object(Bucket=bucket, Key="refused")["ContentLength"] == PART + 5

    def test_big_documents_and_odd_numbers_get_s3_answers(self, alice, bucket, front):
        upload_id, sent = upload(alice, bucket, "odd", [os.urandom(PART), b""])
        many = [{"PartNumber": n, "ETag": '"' + "a" * 32 + '"', "ChecksumCRC32": "AAAAAA=="} for n in range(1, 9501)]
        with pytest.raises(ClientError) as info:                # > 1 MiB of XML: still read, still checked
            complete(alice, bucket, "odd", upload_id, many)
        assert code(info) == "InvalidPart"
        for query in ("part-number-marker=" + "9" * 30, "max-parts=" + "9" * 30):
            response = s3.signed(front, "GET", f"/{bucket}/odd", user="alice", query=f"{query}&uploadId={upload_id}")
            assert response.status_code == 200, response.text
        for query in ("part-number-marker=x", "part-number-marker=%C2%B2", "max-parts=%C2%B2"):
            response = s3.signed(front, "GET", f"/{bucket}/odd", user="alice", query=f"{query}&uploadId={upload_id}")
            assert response.status_code == 400 and b"InvalidArgument" in response.content, query
        odd = ('<CompleteMultipartUpload><Part><PartNumber>\u00b2</PartNumber><ETag>"x"</ETag></Part>'
               '</CompleteMultipartUpload>').encode()
        response = s3.signed(front, "POST", f"/{bucket}/odd", user="alice", body=odd, query=f"uploadId={upload_id}")
        assert response.status_code == 400 and b"MalformedXML" in response.content
        alice.put_object(Bucket=bucket, Key="odd-source", Body=b"0123456789")
        response = s3.signed(front, "PUT", f"/{bucket}/odd", user="alice", query=f"partNumber=3&uploadId={upload_id}",
                             headers={"x-amz-copy-source": f"/{bucket}/odd-source",
                                      "x-amz-copy-source-range": "bytes=\u00b2-5"})
        assert response.status_code < 500 and b"InternalError" not in response.content, response.text
        complete(alice, bucket, "odd", upload_id, sent)         # an empty last part
        assert alice.get_object(Bucket=bucket, Key="odd")["ContentLength"] == PART
        empty = alice.get_object(Bucket=bucket, Key="odd", PartNumber=2)
        assert empty["ContentLength"] == 0 and empty["Body"].read() == b"" and empty["PartsCount"] == 2
        for number in ("%C2%B2", "9" * 3000):
            response = s3.signed(front, "GET", f"/{bucket}/odd", user="alice", query=f"partNumber={number}")
            assert response.status_code == 400 and b"InvalidArgument" in response.content

    def test_part_numbers_out_of_range_and_unknown_uploads(self, alice, bob, bucket, front):
        upload_id = alice.create_multipart_upload(Bucket=bucket, Key="range")["UploadId"]
        for number in (0, 10001):
            response = s3.signed(front, "PUT", f"/{bucket}/range", user="alice", body=b"x",
                                 query=f"partNumber={number}&uploadId={upload_id}")
            assert response.status_code == 400 and b"InvalidArgument" in response.content
        for other in ("0" * 32, "../../x", upload_id + "0"):
            with pytest.raises(ClientError) as info:
                alice.upload_part(Bucket=bucket, Key="range", UploadId=other, PartNumber=1, Body=b"x")
            assert code(info) == "NoSuchUpload"
        with pytest.raises(ClientError) as info:                      # the id of another key
            alice.upload_part(Bucket=bucket, Key="other-key", UploadId=upload_id, PartNumber=1, Body=b"x")
        assert code(info) == "NoSuchUpload"
        other_bucket = s3.bucket_name("other")
        alice.create_bucket(Bucket=other_bucket)
        with pytest.raises(ClientError) as info:                      # the id of another bucket
            alice.list_parts(Bucket=other_bucket, Key="range", UploadId=upload_id)
        assert code(info) == "NoSuchUpload"
        alice.put_bucket_acl(Bucket=bucket, ACL="public-read-write")
        try:
            with pytest.raises(ClientError) as info:                  # another user's upload
                bob.upload_part(Bucket=bucket, Key="range", UploadId=upload_id, PartNumber=1, Body=b"x")
            assert code(info) == "AccessDenied"
        finally:
            alice.put_bucket_acl(Bucket=bucket, ACL="private")
        with pytest.raises(ClientError) as info:
            bob.create_multipart_upload(Bucket=bucket, Key="range")
        assert code(info) == "AccessDenied"

    def test_abort_then_nothing_works_on_the_upload(self, alice, bucket):
        upload_id, sent = upload(alice, bucket, "aborted", [os.urandom(PART), b"end"])
        assert alice.abort_multipart_upload(Bucket=bucket, Key="aborted", UploadId=upload_id)[
            "ResponseMetadata"]["HTTPStatusCode"] == 204
        for call in (lambda: complete(alice, bucket, "aborted", upload_id, sent),
                     lambda: alice.upload_part(Bucket=bucket, Key="aborted", UploadId=upload_id, PartNumber=3, Body=b"x"),
                     lambda: alice.list_parts(Bucket=bucket, Key="aborted", UploadId=upload_id),
                     lambda: alice.abort_multipart_upload(Bucket=bucket, Key="aborted", UploadId=upload_id)):
            with pytest.raises(ClientError) as info:
                call()
            assert code(info) == "NoSuchUpload"
        assert "Contents" not in alice.list_objects_v2(Bucket=bucket, Prefix="aborted")

    def test_a_client_that_dies_mid_part_leaves_the_upload_resumable(self, alice, bucket, front):
        upload_id, sent = upload(alice, bucket, "died", [os.urandom(PART)])
        url, headers = s3.sign(front, "PUT", f"/{bucket}/died", user="alice", payload="UNSIGNED-PAYLOAD",
                               query=f"partNumber=2&uploadId={upload_id}", headers={"Content-Length": str(PART)})
        host, port = front.split(":")
        with socket.create_connection((host, int(port))) as sock:
            path = url.split(front, 1)[1]
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            sock.sendall(f"PUT {path} HTTP/1.1\r\n{head}\r\n".encode() + b"half" * 100)
        time.sleep(0.5)
        assert [p["PartNumber"] for p in alice.list_parts(Bucket=bucket, Key="died", UploadId=upload_id)["Parts"]] == [1]
        last = alice.upload_part(Bucket=bucket, Key="died", UploadId=upload_id, PartNumber=2, Body=b"rest")
        complete(alice, bucket, "died", upload_id, sent + [{"PartNumber": 2, "ETag": last["ETag"]}])
        assert alice.get_object(Bucket=bucket, Key="died")["Body"].read()[-4:] == b"rest"


class TestConcurrency:
    def test_parts_in_parallel_on_both_api_servers_then_two_completes(self, cluster, bucket):
        clients = [s3.client(server.address, "alice") for server in cluster.api_servers]
        assert len(clients) == 2
        upload_id = clients[0].create_multipart_upload(Bucket=bucket, Key="parallel")["UploadId"]
        parts = [os.urandom(PART + n) for n in range(12)]

        def send(number):
            data = parts[number - 1]
            answer = clients[number % 2].upload_part(Bucket=bucket, Key="parallel", UploadId=upload_id,
                                                     PartNumber=number, Body=data)
            return {"PartNumber": number, "ETag": answer["ETag"]}

        with ThreadPoolExecutor(8) as pool:
            sent = list(pool.map(send, range(1, 13)))
            done = list(pool.map(lambda c: complete(c, bucket, "parallel", upload_id, sent), clients))
        assert done[0]["ETag"] == done[1]["ETag"] == multipart_etag(parts)
        assert clients[1].get_object(Bucket=bucket, Key="parallel")["Body"].read() == b"".join(parts)

    def test_abort_racing_complete_has_one_outcome(self, cluster, bucket):
        clients = [s3.client(server.address, "alice") for server in cluster.api_servers]
        for round in range(4):
            key = f"race-{round}"
            parts = [os.urandom(PART), b"tail"]
            upload_id, sent = upload(clients[0], bucket, key, parts)

            def finish():
                try:
                    return complete(clients[0], bucket, key, upload_id, sent)["ETag"]
                except ClientError as failure:
                    return failure.response["Error"]["Code"]

            def abort():
                try:
                    return clients[1].abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)[
                        "ResponseMetadata"]["HTTPStatusCode"]
                except ClientError as failure:
                    return failure.response["Error"]["Code"]

            with ThreadPoolExecutor(2) as pool:
                completed, aborted = pool.submit(finish), pool.submit(abort)
                outcome = (completed.result(), aborted.result())
            exists = "Contents" in clients[0].list_objects_v2(Bucket=bucket, Prefix=key)
            assert outcome in [(done, "NoSuchUpload") for done in [multipart_etag(parts)]] + [("NoSuchUpload", 204)], outcome
            assert exists == (outcome[1] == "NoSuchUpload")

    def test_a_complete_cut_off_after_it_won_is_finished_by_the_next(self, alice, bucket):
        """The state an api server killed mid-Complete leaves: the upload completed, no version yet."""
        data = [os.urandom(PART), b"tail"]
        upload_id, sent = upload(alice, bucket, "killed", data)
        document_url = f"{es_url()}/{INDEX}-uploads/_doc/{upload_id}"
        document = requests.get(document_url, timeout=30).json()["_source"]
        requests.post(f"{es_url()}/{INDEX}-parts/_refresh", timeout=30)
        listed = requests.get(f"{es_url()}/{INDEX}-parts/_search", timeout=30,
                              json={"query": {"term": {"upload": upload_id}}, "sort": [{"version": "asc"}]}).json()
        parts = [{"number": h["_source"]["version"], **{k: h["_source"][k] for k in ("hash", "size", "packed",
                                                                                       "replicas", "etag")}}
                 for h in listed["hits"]["hits"]]
        document.update(state="completed", parts=parts, finished=time.time() - 60,
                        etag=multipart_etag(data).strip('"'))
        assert requests.put(document_url, json=document, params={"refresh": "true"}, timeout=30).status_code == 200
        assert "Contents" not in alice.list_objects_v2(Bucket=bucket, Prefix="killed")
        done = complete(alice, bucket, "killed", upload_id, sent)
        assert done["ETag"] == multipart_etag(data)
        assert alice.get_object(Bucket=bucket, Key="killed")["Body"].read() == b"".join(data)


    def test_a_complete_cut_off_after_it_wrote_the_version_writes_no_second(self, alice, bucket):
        data = [os.urandom(PART), b"tail"]
        upload_id, sent = upload(alice, bucket, "written", data)
        complete(alice, bucket, "written", upload_id, sent)
        document_url = f"{es_url()}/{INDEX}-uploads/_doc/{upload_id}"
        document = requests.get(document_url, timeout=30).json()["_source"]
        document.update(written=0, finished=time.time() - 60)             # as if cut off before it said so
        assert requests.put(document_url, json=document, params={"refresh": "true"}, timeout=30).status_code == 200
        assert complete(alice, bucket, "written", upload_id, sent)["ETag"] == multipart_etag(data)
        requests.post(f"{es_url()}/{INDEX}-s3/_refresh", timeout=30)
        versions = requests.get(f"{es_url()}/{INDEX}-s3/_count", timeout=30,
                                json={"query": {"term": {"name": f"{bucket}/written"}}}).json()["count"]
        assert versions == 1
        assert requests.get(document_url, timeout=30).json()["_source"]["written"] == 1


class TestTools:
    def test_delete_bucket_aborts_its_uploads(self, alice):
        name = s3.bucket_name("gone")
        alice.create_bucket(Bucket=name)
        upload_id, _ = upload(alice, name, "k", [b"x"])
        alice.delete_bucket(Bucket=name)
        alice.create_bucket(Bucket=name)
        assert alice.list_multipart_uploads(Bucket=name).get("Uploads", []) == []
        with pytest.raises(ClientError) as info:
            alice.list_parts(Bucket=name, Key="k", UploadId=upload_id)
        assert code(info) == "NoSuchUpload"

    def test_a_completed_upload_never_written_is_aborted_after_upload_ttl(self, cluster, alice, bucket):
        stuck = os.urandom(BIG_PART)
        upload_id, sent = upload(alice, bucket, "stuck", [stuck])
        document_url = f"{es_url()}/{INDEX}-uploads/_doc/{upload_id}"
        document = requests.get(document_url, timeout=30).json()["_source"]
        document.update(state="completed", parts=[], etag="0" * 32 + "-1", finished=time.time() - 5)
        assert requests.put(document_url, json=document, params={"refresh": "true"}, timeout=30).status_code == 200
        kept = tool_run(cluster, cluster.data_servers[0], UPLOAD_TTL="60")    # younger than that: kept
        assert kept.returncode == 0 and requests.get(document_url, timeout=30).json()["_source"]["state"] == "completed"
        runs = [tool_run(cluster, server, UPLOAD_TTL="1") for server in cluster.data_servers]
        assert all(r.returncode == 0 for r in runs), [r.stderr[-800:] for r in runs]
        assert shard_files(stuck) == []
        with pytest.raises(ClientError) as info:
            complete(alice, bucket, "stuck", upload_id, sent)
        assert code(info) == "NoSuchUpload"

    def test_orphans_never_take_parts_in_use_and_take_aborted_ones(self, cluster, alice, bucket):
        open_part, done_part, aborted_part = (os.urandom(BIG_PART) for _ in range(3))
        small_aborted = os.urandom(3000)
        upload(alice, bucket, "tools-open", [open_part])
        put_multipart(alice, bucket, "tools-done", [done_part, b"end"])
        aborted_id, _ = upload(alice, bucket, "tools-aborted", [aborted_part, small_aborted])
        alice.abort_multipart_upload(Bucket=bucket, Key="tools-aborted", UploadId=aborted_id)
        collect(cluster)
        assert len(shard_files(open_part)) == 6 and len(shard_files(done_part)) == 6
        assert shard_files(aborted_part) == [] and holders(cluster, small_aborted) == []
        assert alice.get_object(Bucket=bucket, Key="tools-done")["Body"].read() == done_part + b"end"

    def test_uploads_older_than_upload_ttl_are_aborted_by_the_tool(self, cluster, alice, bucket):
        stale = os.urandom(BIG_PART)
        upload_id, _ = upload(alice, bucket, "stale", [stale])
        runs = [tool_run(cluster, server, UPLOAD_TTL="0") for server in cluster.data_servers[:1]]
        assert all(r.returncode == 0 for r in runs), [r.stderr[-800:] for r in runs]
        with pytest.raises(ClientError) as info:
            alice.list_parts(Bucket=bucket, Key="stale", UploadId=upload_id)
        assert code(info) == "NoSuchUpload"
        collect(cluster)
        assert shard_files(stale) == []

    def test_the_scanner_repairs_a_part_and_old_versions_free_parts(self, cluster, alice, bucket):
        first, second = os.urandom(BIG_PART), os.urandom(BIG_PART)
        put_multipart(alice, bucket, "scanned", [first, second])
        lost, kept = shard_files(second)[:2]
        lost.unlink()
        server = next(s for s in cluster.data_servers if str(kept).startswith(s.root))
        tool_run(cluster, server, name="object_scanner")
        assert len(shard_files(second)) == 6
        alice.put_object(Bucket=bucket, Key="scanned", Body=b"overwritten")
        trimmed = tool_run(cluster, cluster.data_servers[0], name="delete_old_metadata")
        assert trimmed.returncode == 0, trimmed.stderr[-800:]
        collect(cluster)
        assert shard_files(first) == [] and shard_files(second) == []


def tool_run(cluster, server, name="delete_orphan_object", **env):
    from tests.chapter08.test_chapter08 import tool
    return tool(cluster, name, server, ORPHAN_GRACE="0", **env)


class TestAwsCli:
    def test_aws_s3_cp_uploads_a_big_file_in_parts(self, cluster, front, bucket, tmp_path):
        data = os.urandom((12 << 20) + 3)
        source, back = tmp_path / "big.bin", tmp_path / "back.bin"
        source.write_bytes(data)
        access, secret = s3.USERS["alice"]
        env = {**os.environ, "AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret,
               "AWS_DEFAULT_REGION": s3.REGION, "AWS_CONFIG_FILE": str(tmp_path / "none"),
               "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
        aws = ["aws", "--endpoint-url", f"http://{front}", "s3"]
        run = subprocess.run([*aws, "cp", "--no-progress", str(source), f"s3://{bucket}/cli/big.bin"], env=env,
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        head = s3.client(front, "alice").head_object(Bucket=bucket, Key="cli/big.bin")
        assert head["ContentLength"] == len(data) and head["ETag"].endswith('-2"')
        run = subprocess.run([*aws, "cp", "--no-progress", f"s3://{bucket}/cli/big.bin", str(back)], env=env,
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(data).digest()
