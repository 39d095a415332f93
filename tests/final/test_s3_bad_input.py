"""Bad input to final/'s S3 API (issue 20): each is a clear 4xx in S3's XML, never a 500, and nothing
is half-written; the api server keeps serving."""
import base64
import hashlib
import os
import socket

import pytest
import requests

from tests.final import s3


@pytest.fixture(scope="module")
def bucket(front):
    name = s3.bucket_name("bad")
    assert s3.signed(front, "PUT", f"/{name}", headers={"x-amz-acl": "public-read-write"}).status_code == 200
    return name


def rejected(answer: requests.Response, status: int, code: str) -> None:
    assert (answer.status_code, s3.error_code(answer)) == (status, code), answer.text[:300]


def stored(front, bucket, key) -> bool:
    return s3.signed(front, "HEAD", s3.key_path(bucket, key)).status_code == 200


class TestBadInput:
    def test_key_over_1024_bytes(self, front, bucket):
        key = "é" * 513                          # 1,026 bytes of UTF-8
        rejected(s3.signed(front, "PUT", s3.key_path(bucket, key), body=b"x"), 400, "KeyTooLongError")
        assert s3.signed(front, "PUT", s3.key_path(bucket, "é" * 512), body=b"x").status_code == 200

    def test_metadata_over_2_kb(self, front, bucket):
        rejected(s3.signed(front, "PUT", f"/{bucket}/meta", body=b"x", headers={"x-amz-meta-big": "v" * 2100}),
                 400, "MetadataTooLarge")
        assert not stored(front, bucket, "meta")

    @pytest.mark.parametrize("body", [b"<Delete><Object><Key>a</Key></Object>", b"not xml at all", b"",
                                      b'<!DOCTYPE d [<!ENTITY e "eeeeeeeeee">]><Delete><Object><Key>&e;</Key></Object></Delete>',
                                      b"<Other/>"])
    def test_malformed_delete_documents(self, front, bucket, body):
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        rejected(s3.signed(front, "POST", f"/{bucket}", query="delete", body=body, headers={"Content-MD5": md5}),
                 400, "MalformedXML")

    def test_malformed_acl_document(self, front, bucket):
        rejected(s3.signed(front, "PUT", f"/{bucket}", query="acl", body=b"<AccessControlPolicy><Grant>"),
                 400, "MalformedXML")

    def test_1001_keys_to_delete(self, front, bucket):
        body = ("<Delete>" + "".join(f"<Object><Key>k{n}</Key></Object>" for n in range(1001)) + "</Delete>").encode()
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        rejected(s3.signed(front, "POST", f"/{bucket}", query="delete", body=body, headers={"Content-MD5": md5}),
                 400, "MalformedXML")

    @pytest.mark.parametrize("size", [5000, 3 << 20])
    def test_a_body_shorter_than_its_length_stores_nothing(self, front, bucket, size):
        host, port = front.split(":")
        with socket.create_connection((host, int(port)), timeout=30) as connection:
            connection.sendall(f"PUT /{bucket}/short HTTP/1.1\r\nHost: {front}\r\nContent-Length: {size}\r\n\r\n".encode())
            connection.sendall(os.urandom(size // 2))
            connection.shutdown(socket.SHUT_WR)
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 400") and b"<Code>IncompleteBody</Code>" in answer, answer[:300]
        assert not stored(front, bucket, "short")

    @pytest.mark.parametrize("query", ["torrent", "versioning", "replication", "policy", "cors", "tagging", "restore",
                                       "website", "foo=bar", "versionId=3"])
    def test_unknown_subresources_are_not_implemented(self, front, bucket, query):
        s3.signed(front, "PUT", f"/{bucket}/here", body=b"x")
        for method, path in (("GET", f"/{bucket}"), ("GET", f"/{bucket}/here"), ("PUT", f"/{bucket}/here")):
            rejected(s3.signed(front, method, path, query=query), 501, "NotImplemented")

    def test_huge_headers(self, front, bucket):
        many = {f"x-amz-meta-h{n}": "v" * 900 for n in range(12)}      # 11 KB of headers in all
        answer = s3.signed(front, "PUT", f"/{bucket}/huge", body=b"x", headers=many)
        assert 400 <= answer.status_code < 500
        answer = requests.get(f"http://{front}/{bucket}/huge", headers={"X-Big": "v" * 70000})
        assert 400 <= answer.status_code < 500
        assert not stored(front, bucket, "huge")
        assert requests.get(f"http://{front}/healthz").status_code == 200

    @pytest.mark.parametrize("length", ["-1", "abc", "99999999999999999999999"])
    def test_bad_content_length(self, front, bucket, length):
        host, port = front.split(":")
        with socket.create_connection((host, int(port)), timeout=30) as connection:
            connection.sendall(f"PUT /{bucket}/len HTTP/1.1\r\nHost: {front}\r\nContent-Length: {length}\r\n\r\nx".encode())
            connection.shutdown(socket.SHUT_WR)
            answer = connection.recv(65536)
        assert answer.startswith(b"HTTP/1.1 4"), answer[:200]
        assert not stored(front, bucket, "len")

    def test_methods_that_mean_nothing(self, front, bucket):
        rejected(s3.signed(front, "POST", f"/{bucket}/key", body=b"x"), 405, "MethodNotAllowed")
        rejected(s3.signed(front, "DELETE", "/"), 405, "MethodNotAllowed")

    def test_presigned_and_header_auth_at_once(self, front, bucket):
        url, headers = s3.sign(front, "GET", f"/{bucket}", payload=s3.EMPTY, query="X-Amz-Algorithm=AWS4-HMAC-SHA256")
        answer = requests.get(url, headers=headers)
        assert answer.status_code == 400
