"""ListObjects v1 and ListObjectsV2 against final/: UTF-8 binary order, prefixes and delimiters,
paging by 1,000 and by max-keys, markers, URL encoding, and read-after-write on both api servers."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from tests.final import s3

KEYS = ["a", "a/1", "a/2", "a/b/1", "b", "B", "b/x", "é", "z", "\u00ff", "😀", "sp ace", "pl+us", "per%cent",
        "a//double", "x/"]


@pytest.fixture(scope="module")
def bucket(alice):
    name = s3.bucket_name("listing")
    alice.create_bucket(Bucket=name)
    for key in KEYS:
        alice.put_object(Bucket=name, Key=key, Body=key.encode())
    return name


def utf8_sorted(keys) -> list[str]:
    return sorted(keys, key=lambda key: key.encode())


def all_v2(client, bucket, **params) -> tuple[list, list, int]:
    keys, prefixes, pages, token = [], [], 0, None
    while True:
        answer = client.list_objects_v2(Bucket=bucket, **params, **({"ContinuationToken": token} if token else {}))
        pages += 1
        keys += [entry["Key"] for entry in answer.get("Contents", [])]
        prefixes += [entry["Prefix"] for entry in answer.get("CommonPrefixes", [])]
        assert answer["KeyCount"] == len(answer.get("Contents", [])) + len(answer.get("CommonPrefixes", []))
        if not answer["IsTruncated"]:
            return keys, prefixes, pages
        token = answer["NextContinuationToken"]


class TestListing:
    def test_v2_lists_every_key_in_utf8_binary_order(self, alice, bucket):
        answer = alice.list_objects_v2(Bucket=bucket)
        assert [entry["Key"] for entry in answer["Contents"]] == utf8_sorted(KEYS)
        entry = next(e for e in answer["Contents"] if e["Key"] == "a/1")
        assert entry["Size"] == 3 and entry["ETag"].startswith('"') and "Owner" not in entry
        assert answer["KeyCount"] == len(KEYS) and not answer["IsTruncated"]

    def test_delimiter_rolls_up_common_prefixes(self, alice, bucket):
        answer = alice.list_objects_v2(Bucket=bucket, Delimiter="/")
        assert [e["Prefix"] for e in answer["CommonPrefixes"]] == ["a/", "b/", "x/"]
        assert [e["Key"] for e in answer["Contents"]] == utf8_sorted(k for k in KEYS if "/" not in k)
        answer = alice.list_objects_v2(Bucket=bucket, Prefix="a/", Delimiter="/")
        assert [e["Key"] for e in answer["Contents"]] == ["a/1", "a/2"]
        assert [e["Prefix"] for e in answer["CommonPrefixes"]] == ["a//", "a/b/"]

    @pytest.mark.parametrize("delimiter", ["", "/"])
    def test_paging_with_max_keys_sees_everything_once(self, alice, bucket, delimiter):
        whole = all_v2(alice, bucket, Delimiter=delimiter)
        paged = all_v2(alice, bucket, Delimiter=delimiter, MaxKeys=3)
        assert paged[:2] == whole[:2] and paged[2] > 2

    def test_start_after_and_fetch_owner(self, alice, bucket):
        answer = alice.list_objects_v2(Bucket=bucket, StartAfter="b", FetchOwner=True)
        assert [e["Key"] for e in answer["Contents"]] == [k for k in utf8_sorted(KEYS) if k.encode() > b"b"]
        assert answer["Contents"][0]["Owner"] == {"ID": "alice", "DisplayName": "alice"}
        assert answer["StartAfter"] == "b"

    def test_v1_markers(self, alice, bucket):
        first = alice.list_objects(Bucket=bucket, MaxKeys=2, Delimiter="/")
        assert first["Marker"] == "" and first["IsTruncated"] and first["NextMarker"] == "a"
        keys, prefixes, marker = [], [], ""
        while True:
            page = alice.list_objects(Bucket=bucket, MaxKeys=2, Delimiter="/", Marker=marker)
            keys += [e["Key"] for e in page.get("Contents", [])]
            prefixes += [e["Prefix"] for e in page.get("CommonPrefixes", [])]
            if not page["IsTruncated"]:
                break
            marker = page["NextMarker"]
        assert prefixes == ["a/", "b/", "x/"] and keys == utf8_sorted(k for k in KEYS if "/" not in k)
        assert page["Contents"][0]["Owner"]["ID"] == "alice"

    def test_url_encoding(self, front, bucket):
        answer = s3.signed(front, "GET", f"/{bucket}", user="alice", query="encoding-type=url&prefix=sp")
        assert "<Key>sp%20ace</Key>" in answer.text and "<EncodingType>url</EncodingType>" in answer.text
        answer = s3.signed(front, "GET", f"/{bucket}", user="alice", query="encoding-type=url&prefix=pl")
        assert "<Key>pl%2Bus</Key>" in answer.text

    def test_bad_max_keys_and_tokens(self, alice, front, bucket):
        for query in ("max-keys=ten", "max-keys=-1", "list-type=2&continuation-token=%25%25%25", "encoding-type=xml"):
            answer = s3.signed(front, "GET", f"/{bucket}", user="alice", query=query)
            assert answer.status_code == 400 and s3.error_code(answer) == "InvalidArgument", query
        answer = alice.list_objects_v2(Bucket=bucket, MaxKeys=0)
        assert answer["KeyCount"] == 0 and not answer["IsTruncated"]


class TestConsistency:
    def test_a_put_or_delete_shows_in_the_very_next_listing_on_either_api_server(self, cluster):
        first, second = (s3.client(api.address, "alice") for api in cluster.api_servers[:2])
        bucket = s3.bucket_name("fresh")
        first.create_bucket(Bucket=bucket)
        for number in range(20):
            key = f"k{number:02d}"
            first.put_object(Bucket=bucket, Key=key, Body=b"x")
            assert key in [e["Key"] for e in second.list_objects_v2(Bucket=bucket).get("Contents", [])]
            second.delete_object(Bucket=bucket, Key=key)
            assert key not in [e["Key"] for e in first.list_objects_v2(Bucket=bucket).get("Contents", [])]


class TestThousands:
    def test_pages_of_1000(self, alice):
        bucket = s3.bucket_name("many")
        alice.create_bucket(Bucket=bucket)
        keys = [f"k/{n:05d}" for n in range(2100)]
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda key: alice.put_object(Bucket=bucket, Key=key, Body=b""), keys))
        first = alice.list_objects_v2(Bucket=bucket)
        assert first["KeyCount"] == 1000 and first["IsTruncated"] and first["MaxKeys"] == 1000
        assert all_v2(alice, bucket)[0] == keys and all_v2(alice, bucket, MaxKeys=5000)[2] == 3
        with pytest.raises(ClientError) as info:
            alice.delete_bucket(Bucket=bucket)
        assert info.value.response["Error"]["Code"] == "BucketNotEmpty"
