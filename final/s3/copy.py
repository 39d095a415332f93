"""CopyObject: a new key for stored content. No byte moves: the copy is a new version of the target
key that names the source's content (its hash, size and stored form), which deduplication keeps once.

``x-amz-copy-source`` is ``[/]<bucket>/<key>``, URL-encoded; the metadata directive ``COPY`` (the
default) keeps the source's headers and ``x-amz-meta-*``, ``REPLACE`` takes the request's. Copying a
key onto itself must change something (``REPLACE``). ``x-amz-copy-source-if-*`` that fail are 412.
"""
from urllib.parse import unquote

from flask import Response

from final.catalog.acl import WRITE
from final.s3 import acls, manifest, xml
from final.s3.conditions import check_conditions
from final.s3.context import Call, Store, allow
from final.s3.errors import error
from final.s3.objects import check_key, readable, stored_headers, user_metadata


def copy(store: Store, call: Call) -> Response:
    bucket = store.bucket(call)
    allow(bucket.access, call, WRITE)
    check_key(call.key)
    source = source_of(store, call)
    source_bucket, source_key = source.name.split("/", 1)
    directive = call.headers.get("x-amz-metadata-directive", "COPY").upper()
    if directive not in ("COPY", "REPLACE"):
        raise error("InvalidArgument", "Unknown metadata directive.")
    if (source_bucket, source_key) == (call.bucket, call.key) and directive == "COPY":
        raise error("InvalidRequest", "This copy request is illegal because it is trying to copy an object to "
                                      "itself without changing the object's metadata, storage class, website "
                                      "redirect location or encryption attributes.")
    owner = call.user_name or bucket.owner
    info = {**source.info, "owner": owner, "acl": acls.from_request(call, store.users, owner, bucket.owner).to_json()}
    if directive == "REPLACE":
        info.update(headers=stored_headers(call.headers), meta=user_metadata(call.headers))
    manifest.pin(store.objects, source)    # kept from the orphan tool until the new version is written
    record = store.keys.put(call.bucket, call.key, source.hash, source.size, info, **manifest.fields(source))
    call.told("ObjectCreated:Copy", record)
    return Response(xml.document("CopyObjectResult", [("LastModified", xml.iso(record.modified)),
                                                      ("ETag", f'"{info.get("etag", "")}"')]),
                    status=200, mimetype="application/xml")


def source_of(store: Store, call: Call):
    """The newest version of ``x-amz-copy-source``, which the caller may read and whose
    ``x-amz-copy-source-if-*`` conditions hold (else 412)."""
    source_bucket, source_key = _source(call.headers["x-amz-copy-source"])
    source = readable(store, call, source_bucket, source_key)
    if check_conditions(call.headers, source.info.get("etag", ""), source.modified, "x-amz-copy-source-"):
        raise error("PreconditionFailed")
    return source


def _source(header: str) -> tuple[str, str]:
    path, _, query = header.partition("?")
    if query:
        raise error("NotImplemented", "copying a version of an object (versionId) is not implemented")
    bucket, _, key = unquote(path).lstrip("/").partition("/")
    if not bucket or not key:
        raise error("InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
    return bucket, key
