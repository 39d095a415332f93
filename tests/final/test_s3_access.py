"""Buckets, SigV4 and ACLs of final/'s S3 API, against the real cluster (issue 20): who may do what,
what an anonymous browser sees, and how a bad signature, key, clock or URL is refused."""
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from botocore.exceptions import ClientError

from final.api_server.app import create_app
from tests.final import s3


def code(info) -> str:
    return info.value.response["Error"]["Code"]


class TestBuckets:
    def test_create_list_head_delete(self, alice, bob):
        name = s3.bucket_name("life")
        assert alice.create_bucket(Bucket=name)["Location"] == f"/{name}"
        assert name in [b["Name"] for b in alice.list_buckets()["Buckets"]]
        assert name not in [b["Name"] for b in bob.list_buckets()["Buckets"]]      # another's private bucket
        assert alice.list_buckets()["Owner"] == {"ID": "alice", "DisplayName": "alice"}
        assert alice.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
        alice.delete_bucket(Bucket=name)
        with pytest.raises(ClientError) as info:
            alice.head_bucket(Bucket=name)
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    def test_names_already_taken(self, alice, bob):
        name = s3.bucket_name("taken")
        alice.create_bucket(Bucket=name)
        with pytest.raises(ClientError) as info:
            alice.create_bucket(Bucket=name)
        assert code(info) == "BucketAlreadyOwnedByYou"
        with pytest.raises(ClientError) as info:
            bob.create_bucket(Bucket=name)
        assert code(info) == "BucketAlreadyExists"

    @pytest.mark.parametrize("name", ["ab", "Upper-case", "under_score", "a..b", "-dash", "dash-", "192.168.1.1",
                                      "objects", "locate", "versions", "temp", "healthz", "metrics", "ui",
                                      "xn--punycode", "x" * 64, "name-s3alias"])
    def test_invalid_names(self, alice, name):
        with pytest.raises(ClientError) as info:
            alice.create_bucket(Bucket=name)
        assert code(info) == "InvalidBucketName"

    def test_location_constraint(self, alice):
        name = s3.bucket_name("where")
        alice.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        assert alice.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"

    def test_delete_only_when_empty_and_only_by_the_owner(self, alice, bob):
        name = s3.bucket_name("full")
        alice.create_bucket(Bucket=name, ACL="public-read-write")
        alice.put_object(Bucket=name, Key="k", Body=b"x")
        with pytest.raises(ClientError) as info:
            alice.delete_bucket(Bucket=name)
        assert code(info) == "BucketNotEmpty"
        alice.delete_object(Bucket=name, Key="k")
        with pytest.raises(ClientError) as info:
            bob.delete_bucket(Bucket=name)
        assert code(info) == "AccessDenied"
        alice.delete_bucket(Bucket=name)


class TestSignatures:
    def test_unknown_key(self, front):
        with pytest.raises(ClientError) as info:
            s3.client(front, "nobody").list_buckets()
        assert code(info) == "InvalidAccessKeyId"

    def test_wrong_secret(self, front):
        with pytest.raises(ClientError) as info:
            s3.client(front, "alice", secret="wrong").list_buckets()
        assert code(info) == "SignatureDoesNotMatch"

    @pytest.mark.parametrize("minutes,status", [(-16, 403), (16, 403), (-14, 200), (14, 200)])
    def test_clock_skew(self, front, minutes, status):
        answer = s3.signed(front, "GET", "/", user="alice", when=datetime.now(timezone.utc) + timedelta(minutes=minutes))
        assert answer.status_code == status
        if status == 403:
            assert s3.error_code(answer) == "RequestTimeTooSkewed"

    def test_a_changed_request_no_longer_matches(self, front, alice):
        name = s3.bucket_name("tamper")
        alice.create_bucket(Bucket=name)
        url, headers = s3.sign(front, "GET", f"/{name}", user="alice", payload=s3.EMPTY, query="prefix=a")
        assert requests.get(url, headers=headers).status_code == 200
        assert s3.error_code(requests.get(url.replace("prefix=a", "prefix=b"), headers=headers)) == "SignatureDoesNotMatch"

    def test_presigned_urls(self, front, alice):
        name = s3.bucket_name("presign")
        alice.create_bucket(Bucket=name)
        put = alice.generate_presigned_url("put_object", Params={"Bucket": name, "Key": "p"}, ExpiresIn=60)
        assert requests.put(put, data=b"presigned").status_code == 200
        get = alice.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "p"}, ExpiresIn=60)
        assert requests.get(get).content == b"presigned"
        short = alice.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "p"}, ExpiresIn=1)
        zero = alice.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "p"}, ExpiresIn=0)
        week = alice.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "p"}, ExpiresIn=604801)
        time.sleep(2.1)
        for url in (short, zero):
            assert requests.get(url).status_code == 403
        assert requests.get(week).status_code in (400, 403)
        assert requests.get(get.replace("X-Amz-Signature=", "X-Amz-Signature=0")).status_code in (400, 403)


class TestAcls:
    @pytest.fixture(scope="class")
    @classmethod
    def bucket(cls, alice):
        name = s3.bucket_name("acl")
        alice.create_bucket(Bucket=name)
        alice.put_object(Bucket=name, Key="private", Body=b"secret")
        alice.put_object(Bucket=name, Key="public", Body=b"<h1>ugc</h1>", ACL="public-read", ContentType="text/html")
        return name

    def test_anonymous_reads_only_public_objects(self, front, bucket):
        page = requests.get(f"http://{front}/{bucket}/public")
        assert page.status_code == 200 and page.content == b"<h1>ugc</h1>" and page.headers["Content-Type"] == "text/html"
        for url in (f"/{bucket}/private", f"/{bucket}", "/", f"/{bucket}/nope"):
            answer = requests.get(f"http://{front}{url}")
            assert answer.status_code == 403 and s3.error_code(answer) == "AccessDenied", url
        assert requests.put(f"http://{front}/{bucket}/anon", data=b"x").status_code == 403

    def test_another_user_needs_a_grant(self, alice, bob, bucket):
        with pytest.raises(ClientError) as info:
            bob.get_object(Bucket=bucket, Key="private")
        assert code(info) == "AccessDenied"
        alice.put_object_acl(Bucket=bucket, Key="private", GrantRead='id="bob"')
        assert bob.get_object(Bucket=bucket, Key="private")["Body"].read() == b"secret"
        grants = alice.get_object_acl(Bucket=bucket, Key="private")["Grants"]
        assert {"Grantee": {"ID": "bob", "DisplayName": "bob", "Type": "CanonicalUser"}, "Permission": "READ"} in grants
        with pytest.raises(ClientError) as info:
            bob.put_object(Bucket=bucket, Key="bobs", Body=b"x")
        assert code(info) == "AccessDenied"
        with pytest.raises(ClientError) as info:
            bob.get_object_acl(Bucket=bucket, Key="private")
        assert code(info) == "AccessDenied"

    def test_canned_acls_on_buckets(self, front, alice, bob):
        name = s3.bucket_name("canned")
        alice.create_bucket(Bucket=name, ACL="public-read-write")
        assert requests.put(f"http://{front}/{name}/anon", data=b"anonymous").status_code == 200
        assert "anon" in requests.get(f"http://{front}/{name}").text
        alice.put_bucket_acl(Bucket=name, ACL="authenticated-read")
        assert requests.get(f"http://{front}/{name}").status_code == 403
        assert [e["Key"] for e in bob.list_objects_v2(Bucket=name)["Contents"]] == ["anon"]
        assert requests.put(f"http://{front}/{name}/anon2", data=b"x").status_code == 403
        grants = alice.get_bucket_acl(Bucket=name)["Grants"]
        assert {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},
                "Permission": "READ"} in grants

    def test_acl_document(self, alice, bob, bucket):
        owner = {"ID": "alice", "DisplayName": "alice"}
        alice.put_bucket_acl(Bucket=bucket, AccessControlPolicy={"Owner": owner, "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": "alice"}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "CanonicalUser", "ID": "bob"}, "Permission": "WRITE"}]})
        bob.put_object(Bucket=bucket, Key="from-bob", Body=b"b")
        alice.put_bucket_acl(Bucket=bucket, ACL="private")
        with pytest.raises(ClientError):
            bob.put_object(Bucket=bucket, Key="from-bob", Body=b"b")

    def test_bad_grants(self, alice, bucket):
        with pytest.raises(ClientError) as info:
            alice.put_object_acl(Bucket=bucket, Key="public", GrantRead='id="nobody"')
        assert code(info) == "InvalidArgument"
        with pytest.raises(ClientError) as info:
            alice.put_object(Bucket=bucket, Key="x", Body=b"x", ACL="very-public")
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


class TestBookApi:
    def test_book_api_off_is_404_and_s3_stays(self, cluster):
        config = {"RABBITMQ_SERVER": cluster.env["RABBITMQ_SERVER"], **cluster.env, "BOOK_API": "off"}
        from final import config as settings
        app = create_app(settings.load(environ=config))
        web = app.test_client()
        assert web.get("/objects/x").status_code == 404 and web.put("/objects/x", data=b"x").status_code == 404
        assert web.get("/versions/").status_code == 404 and web.get("/healthz").status_code == 200
        answer = web.get("/")
        assert answer.status_code == 403 and b"<Code>AccessDenied</Code>" in answer.data
