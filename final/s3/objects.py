"""S3's object operations: PutObject, GetObject, HeadObject, DeleteObject, CopyObject, Get/PutObjectAcl.

An object's bytes go through final/'s ``Objects`` pipeline (content-addressed, deduplicated, 4+2
shards or three replicas); its key is a version of ``<bucket>/<key>`` in the keys catalog, whose
``info`` keeps what S3 returns: the ETag (hex MD5, computed while the body streams), the stored
headers and ``x-amz-meta-*``, checksums, the owner and the ACL. A copy writes a new version for the
same content: no byte moves.
"""
from flask import Response

from chapter03_metadata.common import digest
from chapter06_resumable.common import ranges
from final.catalog.acl import READ, READ_ACP, WRITE, WRITE_ACP, Acl
from final.s3 import acls, manifest
from final.s3.buckets import new_acl
from final.s3.conditions import check_conditions, http_date
from final.s3.context import Call, Store, allow
from final.s3.errors import error
from final.s3.payload import Payload, stored_content

MAX_KEY = 1024                           # bytes of UTF-8
MAX_METADATA = 2048                      # bytes of x-amz-meta-* names and values together
STORED = ("Content-Type", "Content-Encoding", "Content-Disposition", "Cache-Control", "Expires",
          "Content-Language")
DEFAULT_TYPE = "binary/octet-stream"
OVERRIDES = {"response-content-type": "Content-Type", "response-content-language": "Content-Language",
             "response-expires": "Expires", "response-cache-control": "Cache-Control",
             "response-content-disposition": "Content-Disposition",
             "response-content-encoding": "Content-Encoding"}


def new_object(store: Store, call: Call) -> dict:
    """What a new object of the call's key keeps (its headers, ``x-amz-meta-*``, owner and ACL),
    once the caller may write to the bucket and the key is valid."""
    bucket = store.bucket(call)
    allow(bucket.access, call, WRITE)
    check_key(call.key)
    owner = call.user_name or bucket.owner
    return {"headers": stored_headers(call.headers), "meta": user_metadata(call.headers), "owner": owner,
            "acl": acls.from_request(call, store.users, owner, bucket.owner).to_json()}


def put(store: Store, call: Call) -> Response:
    """PutObject."""
    info = new_object(store, call)
    payload = Payload(call)
    try:
        hash, fields = stored_content(store.objects, payload)
    except digest.DigestMismatch:
        raise error("XAmzContentSHA256Mismatch") from None
    info.update(etag=payload.etag, checksums=payload.results())
    size = fields.pop("size")
    call.told("ObjectCreated:Put", store.keys.put(call.bucket, call.key, hash, size, info, **fields))
    headers = {"ETag": f'"{payload.etag}"'}
    headers.update({f"x-amz-checksum-{name}": value for name, value in info["checksums"].items()})
    return Response(status=200, headers=headers)


def get(store: Store, call: Call, body: bool = True) -> Response:
    """GetObject (``body`` False: HeadObject), with one Range, conditions and ``response-*`` overrides."""
    record = readable(store, call)
    if check_conditions(call.headers, record.info.get("etag", ""), record.modified) == 304:
        headers = object_headers(record, call, whole=False)
        kept = ("ETag", "Last-Modified", "Cache-Control", "Expires")
        return Response(status=304, headers={k: v for k, v in headers.items() if k in kept})
    span = ranges.parse(call.headers.get("Range"), record.size) if "Range" in call.headers else None
    count = None
    if call.arg("partNumber") is not None:
        if span is not None:
            raise error("InvalidRequest", "Cannot specify both Range header and partNumber query parameter.")
        span, count = manifest.part_span(record, call.arg("partNumber"))
    headers = object_headers(record, call, whole=span is None)     # a part has not the object's checksum
    if count is not None:
        headers["x-amz-mp-parts-count"] = str(count)
    length = record.size if span is None else span[1] - span[0] + 1
    if span is not None and length:
        headers["Content-Range"] = ranges.content_range(span[0], span[1], record.size)
    status = 206 if span is not None and length else 200
    if not body or length == 0:
        response = Response(status=status, headers=headers)
    else:
        content = open_content(store, record, span)
        response = Response(content.chunks, status=status, headers=headers, direct_passthrough=True)
    response.content_length = length
    return response


def delete(store: Store, call: Call) -> Response:
    """DeleteObject: 204, also for a key that does not exist."""
    bucket = store.bucket(call)
    allow(bucket.access, call, WRITE)
    check_key(call.key)
    removed = store.keys.remove(call.bucket, call.key)
    if removed is not None:
        call.told("ObjectRemoved:Delete", removed)
    return Response(status=204)


def get_acl(store: Store, call: Call) -> Response:
    record = existing(store, call)
    acl = access(record)
    allow(acl, call, READ_ACP)
    return Response(acls.document(acl), status=200, mimetype="application/xml")


def put_acl(store: Store, call: Call) -> Response:
    record = existing(store, call)
    allow(access(record), call, WRITE_ACP)
    acl = new_acl(store, call, record.info.get("owner", ""), store.bucket(call).owner)
    info = {**record.info, "acl": acl.to_json()}
    store.keys.put(call.bucket, call.key, record.hash, record.size, info, **manifest.fields(record))
    return Response(status=200)


def open_content(store: Store, record, span: tuple[int, int] | None = None):
    """The bytes of a version (``span`` of them), a multipart object's read part after part."""
    return manifest.open_object(store.objects, record, span)


def readable(store: Store, call: Call, bucket_name: str | None = None, key: str | None = None):
    """The newest version of the call's key (or of ``key`` in ``bucket_name``), which the caller may
    read (else NoSuchKey or AccessDenied)."""
    bucket_name, key = bucket_name or call.bucket, key if key is not None else call.key
    bucket = store.buckets.get(bucket_name)
    if bucket is None:
        raise error("NoSuchBucket")
    check_key(key)
    record = store.keys.head(bucket_name, key)
    if record is None:              # S3 tells "no such key" only to those who may list the bucket
        allow(bucket.access, call, READ)
        raise error("NoSuchKey")
    allow(access(record), call, READ)
    return record


def existing(store: Store, call: Call):
    store.bucket(call)
    check_key(call.key)
    record = store.keys.head(call.bucket, call.key)
    if record is None:
        raise error("NoSuchKey")
    return record


def access(record) -> Acl:
    return Acl.from_json(record.info.get("acl"), record.info.get("owner", ""))


def object_headers(record, call: Call, whole: bool = True) -> dict:
    """The headers a GET or HEAD answers with: stored ones, user metadata, ``response-*`` overrides."""
    info = record.info
    headers = {"ETag": f'"{info.get("etag", "")}"', "Last-Modified": http_date(record.modified),
               "Accept-Ranges": "bytes", "Content-Type": DEFAULT_TYPE, **info.get("headers", {})}
    headers.update({f"x-amz-meta-{name}": value for name, value in info.get("meta", {}).items()})
    if whole and call.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED":
        headers.update({f"x-amz-checksum-{n}": v for n, v in (info.get("checksums") or {}).items()})
    overrides = {OVERRIDES[name]: value for name, value in call.query.items() if name in OVERRIDES}
    if overrides and call.user is None:
        raise error("InvalidRequest", "Request specific response headers cannot be used for anonymous "
                                      "GET requests.")
    headers.update(overrides)
    return headers


def stored_headers(headers) -> dict:
    """The headers S3 keeps with an object (``aws-chunked`` is the upload's encoding, not the object's)."""
    kept = {name: headers[name] for name in STORED if name in headers}
    if "Content-Encoding" in kept:
        codings = [c.strip() for c in kept["Content-Encoding"].split(",") if c.strip() != "aws-chunked"]
        kept["Content-Encoding"] = ", ".join(codings)
        if not kept["Content-Encoding"]:
            del kept["Content-Encoding"]
    return kept


def user_metadata(headers) -> dict:
    """``x-amz-meta-*``, names lower-cased; more than 2 KB of names and values is MetadataTooLarge."""
    meta = {name.lower()[len("x-amz-meta-"):]: value for name, value in headers.items()
            if name.lower().startswith("x-amz-meta-")}
    if sum(len(k.encode()) + len(v.encode()) for k, v in meta.items()) > MAX_METADATA:
        raise error("MetadataTooLarge")
    return meta


def check_key(key: str) -> None:
    if len(key.encode("utf-8", "surrogateescape")) > MAX_KEY:
        raise error("KeyTooLongError")
