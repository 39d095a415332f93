"""DeleteObjects (``POST /<bucket>?delete``): up to 1,000 keys in one request, each answered apart.

The ``Delete`` document lists ``Object``/``Key`` entries (``Quiet`` true: only the errors are
answered). A key that does not exist counts as deleted, as in S3. The body must come with its
``Content-MD5`` or an ``x-amz-checksum-*`` (S3 requires one), which is checked. The keys are
deleted side by side (their tombstones are written in a few batches).
"""
import base64
import hashlib

from flask import Response

from chapter02_distributed.common.objectstream import HopPool  # unchanged since chapter 2
from final.catalog.acl import WRITE
from final.s3 import xml
from final.s3.buckets import ok, read_small
from final.s3.chunked import Checksum
from final.s3.context import Call, Store, allow
from final.s3.errors import S3Error, error
from final.s3.objects import check_key

MAX_KEYS = 1000
_pool = HopPool(16, thread_name_prefix="delete-objects")


def delete_objects(store: Store, call: Call) -> Response:
    allow(store.bucket(call).access, call, WRITE)
    body = read_small(call)
    _check_integrity(call, body)
    request = xml.parse(body, "Delete")
    keys = [xml.text(node, "Key") for node in request.findall("Object")]
    if not keys or len(keys) > MAX_KEYS or any(key is None or key == "" for key in keys):
        raise error("MalformedXML", f"a Delete lists 1 to {MAX_KEYS} objects, each with a Key")
    if any(node.find("VersionId") is not None for node in request.findall("Object")):
        raise error("NotImplemented", "deleting a version (VersionId) is not implemented")
    quiet = (xml.text(request, "Quiet", "false") or "").lower() == "true"
    results = list(_pool.map(lambda key: _delete(store, call.bucket, key), keys))
    entries = []
    for key, result in zip(keys, results):
        if isinstance(result, S3Error):
            entries.append(("Error", [("Key", key), ("Code", result.code), ("Message", str(result))]))
            continue
        if result is not None:
            call.told("ObjectRemoved:Delete", result)
        if not quiet:
            entries.append(("Deleted", [("Key", key)]))
    return ok(xml.document("DeleteResult", entries))


def _delete(store: Store, bucket: str, key: str):
    """The key's tombstone, None when it had nothing to delete, or why it failed (an S3Error)."""
    try:
        check_key(key)
        return store.keys.remove(bucket, key)
    except S3Error as failure:
        return failure


def _check_integrity(call: Call, body: bytes) -> None:
    md5 = call.headers.get("Content-MD5")
    sums = [(name, value) for name, value in call.headers.items() if name.lower().startswith("x-amz-checksum-")
            and name.lower() not in ("x-amz-checksum-algorithm", "x-amz-checksum-type", "x-amz-checksum-mode")]
    if md5 is None and not sums:
        raise error("InvalidRequest", "Missing required header for this request: Content-MD5")
    if md5 is not None and base64.b64encode(hashlib.md5(body).digest()).decode() != md5.strip():
        raise error("BadDigest")
    for name, value in sums:
        checksum = Checksum.of(name)
        checksum.update(body)
        if checksum.digest() != value.strip():
            raise error("BadDigest", f"The {checksum.name.upper()} you specified did not match the calculated checksum.")
