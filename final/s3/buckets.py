"""S3's bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
Get/PutBucketAcl.

The bucket's creator owns it. Another user's private bucket is invisible in ListBuckets (the
list is the user's own buckets). Re-creating one's own bucket is 409 ``BucketAlreadyOwnedByYou``,
another user's name 409 ``BucketAlreadyExists``; S3's current naming rules apply in every region.
"""
from flask import Response

from final.catalog.acl import READ, READ_ACP, WRITE_ACP
from final.catalog.buckets import valid_name
from final.s3 import acls, xml
from final.s3.context import Call, Store, allow
from final.s3.errors import error


def list_buckets(store: Store, call: Call) -> Response:
    user = signed_in(call)
    mine = [b for b in store.buckets.all() if b.owner == user]
    return ok(xml.document("ListAllMyBucketsResult", [
        ("Owner", [("ID", user), ("DisplayName", user)]),
        ("Buckets", [("Bucket", [("Name", b.name), ("CreationDate", xml.iso(b.created))]) for b in mine])]))


def create(store: Store, call: Call) -> Response:
    user = signed_in(call)
    if not valid_name(call.bucket):
        raise error("InvalidBucketName")
    location = _location(call)
    acl = acls.from_request(call, store.users, user)
    if store.buckets.create(call.bucket, user, acl, location) is None:
        existing = store.buckets.get(call.bucket)
        raise error("BucketAlreadyOwnedByYou" if existing and existing.owner == user else "BucketAlreadyExists")
    return Response(status=200, headers={"Location": f"/{call.bucket}"})


def head(store: Store, call: Call) -> Response:
    allow(store.bucket(call).access, call, READ)
    return Response(status=200, headers={"x-amz-bucket-region": store.region})


def delete(store: Store, call: Call) -> Response:
    bucket = store.bucket(call)
    if bucket.owner != call.user_name:
        raise error("AccessDenied")
    if not store.keys.empty(call.bucket):
        raise error("BucketNotEmpty")
    if store.uploads is not None:          # (its name may be taken again: uploads must not pass on)
        store.uploads.abort_all(call.bucket)
    store.buckets.delete(call.bucket)
    return Response(status=204)


def location(store: Store, call: Call) -> Response:
    bucket = store.bucket(call)
    if bucket.owner != call.user_name:
        raise error("AccessDenied")
    return ok(xml.document("LocationConstraint", bucket.location or None))


def get_acl(store: Store, call: Call) -> Response:
    bucket = store.bucket(call)
    allow(bucket.access, call, READ_ACP)
    return ok(acls.document(bucket.access))


def put_acl(store: Store, call: Call) -> Response:
    bucket = store.bucket(call)
    allow(bucket.access, call, WRITE_ACP)
    store.buckets.set_acl(bucket, new_acl(store, call, bucket.owner))
    return Response(status=200)


def new_acl(store: Store, call: Call, owner: str, bucket_owner: str | None = None):
    """The ACL a PUT ?acl sets: its document when it sends one, else its headers."""
    body = read_small(call)
    if body.strip():
        return acls.from_document(body, store.users, owner)
    return acls.from_request(call, store.users, owner, bucket_owner)


def signed_in(call: Call) -> str:
    if call.user is None:
        raise error("AccessDenied", "anonymous users cannot do this")
    return call.user.name


def ok(body: bytes) -> Response:
    return Response(body, status=200, mimetype="application/xml")


def read_small(call: Call, limit: int = xml.MAX_BODY) -> bytes:
    """A request body that is a document (at most ``limit`` bytes)."""
    if call.length and call.length > limit:
        raise error("MalformedXML", "the XML document is too large")
    return call.body.read(call.length) if call.length else b""


def _location(call: Call) -> str:
    body = read_small(call)
    if not body.strip():
        return ""
    config = xml.parse(body, "CreateBucketConfiguration")
    return xml.text(config, "LocationConstraint", "") or ""
