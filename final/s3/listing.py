"""ListObjects (v1, ``marker``) and ListObjectsV2 (``list-type=2``, ``continuation-token``).

Keys come in UTF-8 binary order, at most 1,000 a page; with a ``delimiter`` the keys that share a
prefix up to it are rolled up into one ``CommonPrefixes`` entry. A continuation token is the last
key (or common prefix) of the page, base64url-encoded; a marker that is a common prefix skips the
whole prefix. ``encoding-type=url`` URL-encodes keys, prefixes, delimiters and markers alike.
"""
import base64
import binascii
from urllib.parse import quote

from flask import Response

from final.catalog.acl import READ
from final.s3 import xml
from final.s3.buckets import ok
from final.s3.context import Call, Store, allow, digits
from final.s3.errors import error

MAX_KEYS = 1000


def list_objects(store: Store, call: Call) -> Response:
    """GET /<bucket>: v2 with ``list-type=2``, else v1."""
    allow(store.bucket(call).access, call, READ)
    encode = _encoder(call)
    limit, prefix, delimiter = _max_keys(call), call.arg("prefix", ""), call.arg("delimiter", "")
    v2 = call.arg("list-type") == "2"
    if call.arg("list-type") not in (None, "2"):
        raise error("InvalidArgument", "list-type is 2 or absent")
    token = call.arg("continuation-token")
    after = _token(token) if v2 and token is not None else call.arg("start-after" if v2 else "marker", "")
    page = store.keys.listing(call.bucket, prefix, after, delimiter, limit)
    fields = [("Name", call.bucket), ("Prefix", encode(prefix))]
    if v2:
        fields += [("KeyCount", len(page.keys) + len(page.prefixes))]
        fields += [("ContinuationToken", token)] if token is not None else []
        fields += [("StartAfter", encode(call.arg("start-after")))] if call.arg("start-after") is not None else []
    else:
        fields += [("Marker", encode(call.arg("marker", "")))]
    fields += [("MaxKeys", limit)] + ([("Delimiter", encode(delimiter))] if delimiter else [])
    fields += [("IsTruncated", "true" if page.truncated else "false")]
    if page.truncated and v2:
        fields += [("NextContinuationToken", base64.urlsafe_b64encode(page.last.encode()).decode())]
    elif page.truncated and delimiter:
        fields += [("NextMarker", encode(page.last))]
    owner = not v2 or call.arg("fetch-owner") == "true"
    fields += [("Contents", _entry(record, encode, owner)) for record in page.keys]
    fields += [("CommonPrefixes", [("Prefix", encode(p))]) for p in page.prefixes]
    fields += [("EncodingType", "url")] if call.arg("encoding-type") else []
    return ok(xml.document("ListBucketResult", fields))


def _entry(record, encode, owner: bool) -> list:
    info = record.info
    entry = [("Key", encode(record.name.split("/", 1)[1])), ("LastModified", xml.iso(record.modified)),
             ("ETag", f'"{info.get("etag", "")}"'), ("Size", record.size), ("StorageClass", "STANDARD")]
    if owner:
        entry.append(("Owner", [("ID", info.get("owner", "")), ("DisplayName", info.get("owner", ""))]))
    return entry


def _max_keys(call: Call) -> int:
    value = digits(call.arg("max-keys", str(MAX_KEYS)))
    if value is None:
        raise error("InvalidArgument", "max-keys must be an integer from 0 to 2147483647")
    return min(value, MAX_KEYS)


def _encoder(call: Call):
    kind = call.arg("encoding-type")
    if kind is None:
        return lambda text: text
    if kind != "url":
        raise error("InvalidArgument", "Invalid Encoding Method specified in Request")
    return lambda text: quote(text, safe="/")


def _token(token: str) -> str:
    try:
        return base64.b64decode(token.encode("ascii"), altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise error("InvalidArgument", "The continuation token provided is incorrect") from None
