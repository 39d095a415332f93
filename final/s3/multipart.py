"""Multipart upload: Create, UploadPart (and UploadPartCopy), ListParts, ListMultipartUploads,
Abort and Complete (S3's API, BOS's three steps).

A part is stored as the store stores anything (content-addressed, deduplicated, erasure-coded or
kept whole), its ETag (hex MD5) answered as it arrives; sending a part number again replaces it.
Complete checks the list it is given against the parts (ascending numbers, matching ETags, every
part but the last at least ``MULTIPART_MIN_PART``), then turns the upload ``completed`` by
compare-and-set (of two Completes, or a Complete and an Abort, one wins; the loser reads the
outcome) and writes the object's version, which lists the parts: no byte moves. Repeating a
Complete that succeeded answers the same; a Complete interrupted after the upload turned completed
(an api server killed) is finished by the next one.
"""
import hashlib
import time

from flask import Response

from chapter03_metadata.common.digest import DigestMismatch
from final.catalog import uploads as catalog
from final.catalog.acl import READ, WRITE
from final.s3 import manifest, xml
from final.s3.buckets import ok, read_small
from final.s3.context import Call, Store, allow, digits
from final.s3.copy import source_of
from final.s3.errors import error
from final.s3.objects import check_key, new_object, open_content
from final.s3.payload import MAX_SIZE, Payload, spooled, stored_content

MAX_PARTS = 1000
MAX_COMPLETE = 8 << 20                # bytes of a Complete document: 10,000 parts with checksums fit
WAIT_FOR_WRITER = 10.0                # seconds a Complete waits for another one that is writing the version


def create(store: Store, call: Call) -> Response:
    """CreateMultipartUpload: what the object will keep is given now (headers, metadata, ACL)."""
    info = new_object(store, call)
    upload = store.uploads.create(call.bucket, call.key, info["owner"], call.user_name or "", info)
    return ok(xml.document("InitiateMultipartUploadResult", [("Bucket", call.bucket), ("Key", call.key),
                                                             ("UploadId", upload.upload_id)]))


def upload_part(store: Store, call: Call) -> Response:
    """UploadPart, or UploadPartCopy with ``x-amz-copy-source``."""
    upload = current(store, call)
    number = part_number(call.arg("partNumber"))
    if "x-amz-copy-source" in call.headers:
        return _upload_part_copy(store, call, upload, number)
    payload = Payload(call)
    try:
        hash, fields = stored_content(store.objects, payload)
    except DigestMismatch:
        raise error("XAmzContentSHA256Mismatch") from None
    size = fields.pop("size")
    _still_open(store, store.uploads.put_part(upload, number, hash, size, payload.etag, payload.results(), **fields),
                upload)
    headers = {"ETag": f'"{payload.etag}"'}
    headers.update({f"x-amz-checksum-{name}": value for name, value in payload.results().items()})
    return Response(status=200, headers=headers)


def _upload_part_copy(store: Store, call: Call, upload, number: int) -> Response:
    """A byte range (``x-amz-copy-source-range``) of an existing object, or all of it, as a part."""
    source = source_of(store, call)
    span = _copy_range(call.headers.get("x-amz-copy-source-range"), source.size)
    whole = span is None or span == (0, source.size - 1)
    if (source.size if span is None else span[1] - span[0] + 1) > MAX_SIZE:
        raise error("EntityTooLarge", f"A part is at most {MAX_SIZE} bytes.")
    if whole and not manifest.parts(source) and source.info.get("etag"):
        manifest.pin(store.objects, source)   # the same content: no byte moves
        hash, size, etag, fields = source.hash, source.size, source.info["etag"], manifest.fields(source)
        fields.pop("parts")
    else:
        md5 = hashlib.md5()
        content = open_content(store, source, None if whole else span)
        hash, fields = spooled(store.objects, content.chunks, [md5])
        size, etag = fields.pop("size"), md5.hexdigest()
    part = _still_open(store, store.uploads.put_part(upload, number, hash, size, etag, {}, **fields), upload)
    return ok(xml.document("CopyPartResult", [("LastModified", xml.iso(part.modified)), ("ETag", f'"{etag}"')]))


def _still_open(store: Store, part, upload):
    """A part written while a Complete or an Abort ended the upload is kept only if the completed
    upload lists it; otherwise its document is dropped (nothing is left to refer to its content)
    and the answer is NoSuchUpload."""
    now = store.uploads.get(upload.upload_id)
    if now is not None and now.state == "open":
        return part
    if now is not None and now.state == "completed" and any(
            (p["number"], p["hash"], p["etag"]) == (part.number, part.hash, part.etag) for p in now.parts):
        return part
    store.uploads.drop_part(upload.upload_id, part.number)
    raise error("NoSuchUpload")


def list_parts(store: Store, call: Call) -> Response:
    """ListParts: a page of at most ``max-parts`` (1,000) parts after ``part-number-marker``."""
    upload = current(store, call)
    limit = _count(call, "max-parts", MAX_PARTS)
    marker = digits(call.arg("part-number-marker", "0"), 64)
    if marker is None:
        raise error("InvalidArgument", "part-number-marker must be an integer")
    marker = min(marker, catalog.MAX_PART)
    found, truncated = store.uploads.part_listing(upload.upload_id, int(marker), limit) if limit else ([], False)
    fields = [("Bucket", call.bucket), ("Key", call.key), ("UploadId", upload.upload_id),
              ("Initiator", _person(upload.initiator)), ("Owner", _person(upload.owner)),
              ("StorageClass", "STANDARD"), ("PartNumberMarker", int(marker)),
              ("NextPartNumberMarker", found[-1].number if found else int(marker)), ("MaxParts", limit),
              ("IsTruncated", "true" if truncated else "false")]
    fields += [("Part", [("PartNumber", p.number), ("LastModified", xml.iso(p.modified)), ("ETag", f'"{p.etag}"'),
                         ("Size", p.size)]) for p in found]
    return ok(xml.document("ListPartsResult", fields))


def list_uploads(store: Store, call: Call) -> Response:
    """ListMultipartUploads: open uploads of the bucket, by key then upload id, 1,000 a page."""
    allow(store.bucket(call).access, call, READ)
    limit = _count(call, "max-uploads", MAX_PARTS)
    prefix, key_marker, id_marker = call.arg("prefix", ""), call.arg("key-marker", ""), call.arg("upload-id-marker", "")
    if call.arg("delimiter"):
        raise error("NotImplemented", "a delimiter in ListMultipartUploads is not implemented")
    after_id = id_marker if key_marker and id_marker else "~"          # no id marker: past every upload of the key
    found, truncated = store.uploads.listing(call.bucket, prefix, key_marker, after_id, limit) if limit else ([], False)
    fields = [("Bucket", call.bucket), ("KeyMarker", key_marker), ("UploadIdMarker", id_marker),
              ("NextKeyMarker", found[-1].key if found else ""),
              ("NextUploadIdMarker", found[-1].upload_id if found else ""), ("Prefix", prefix),
              ("MaxUploads", limit), ("IsTruncated", "true" if truncated else "false")]
    fields += [("Upload", [("Key", u.key), ("UploadId", u.upload_id), ("Initiator", _person(u.initiator)),
                           ("Owner", _person(u.owner)), ("StorageClass", "STANDARD"),
                           ("Initiated", xml.iso(u.initiated))]) for u in found]
    return ok(xml.document("ListMultipartUploadsResult", fields))


def abort(store: Store, call: Call) -> Response:
    """AbortMultipartUpload: 204; the parts are forgotten (the orphan collector takes their content)."""
    upload = current(store, call)
    while upload.state == "open":
        changed = store.uploads.change(upload, state="aborted", finished=time.time())
        if changed is not None:
            store.uploads.drop_parts(upload.upload_id)
            return Response(status=204)
        upload = store.uploads.get(upload.upload_id)
    raise error("NoSuchUpload")           # completed (or aborted) meanwhile: the upload is gone


def complete(store: Store, call: Call) -> Response:
    """CompleteMultipartUpload."""
    upload = current(store, call, ("open", "completed"))
    requested = _requested(read_small(call, MAX_COMPLETE))
    while True:
        if upload is None or upload.state == "aborted":
            raise error("NoSuchUpload")
        if upload.state == "completed":
            if [(p["number"], p["etag"]) for p in upload.parts] != requested:
                raise error("NoSuchUpload", "The upload was completed with other parts.")
            return _finish(store, call, upload, mine=False)
        listed = _manifest(store, upload, requested)
        changed = store.uploads.change(upload, state="completed", parts=listed, finished=time.time(),
                                       etag=manifest.multipart_etag([p["etag"] for p in listed]))
        if changed is not None:
            return _finish(store, call, changed, mine=True)
        upload = store.uploads.get(upload.upload_id)      # another request changed it: read the outcome


def _finish(store: Store, call: Call, upload, mine: bool) -> Response:
    """Write the completed object's version (unless written), then forget the part documents."""
    if not mine:                          # another Complete may be writing it now: let it
        deadline = time.monotonic() + WAIT_FOR_WRITER
        while not upload.written and time.monotonic() < deadline and time.time() - upload.finished < WAIT_FOR_WRITER:
            time.sleep(0.1)
            upload = store.uploads.get(upload.upload_id) or upload
    existing = None if mine or upload.written else \
        store.keys.with_hash(upload.bucket, upload.key, manifest.PREFIX + upload.upload_id)
    if existing is not None:              # written by a Complete cut off before it said so (or told)
        call.told("ObjectCreated:CompleteMultipartUpload", existing)
        upload = store.uploads.change(upload, written=existing.version) or upload
        store.uploads.drop_parts(upload.upload_id)
    if not upload.written and existing is None:
        _pin_replaced(store, upload)
        hashes = tuple(p["hash"] for p in upload.parts)
        record = store.keys.put(upload.bucket, upload.key, manifest.PREFIX + upload.upload_id,
                                sum(int(p["size"]) for p in upload.parts),
                                {**upload.info, "etag": upload.etag, "parts": upload.parts},
                                packed=0, replicas=(), parts=hashes)
        call.told("ObjectCreated:CompleteMultipartUpload", record)
        store.uploads.change(upload, written=record.version)
        store.uploads.drop_parts(upload.upload_id)
    location = f"{call.headers.get('Host', '')}/{upload.bucket}/{upload.key}"
    return ok(xml.document("CompleteMultipartUploadResult", [
        ("Location", f"http://{location}"), ("Bucket", upload.bucket), ("Key", upload.key),
        ("ETag", f'"{upload.etag}"')]))


def _pin_replaced(store: Store, upload) -> None:
    """Pin the content of listed parts whose part document was replaced (the same number sent
    again) since the Complete read it: until the version is written, nothing else refers to it."""
    now = store.uploads.parts_of(upload.upload_id, [p["number"] for p in upload.parts])
    replaced = [p for p in upload.parts if p["number"] not in now or now[p["number"]].hash != p["hash"]]
    if replaced:
        manifest.pin_parts(store.objects, replaced)


def _manifest(store: Store, upload, requested: list[tuple[int, str]]) -> list[dict]:
    """The parts the Complete lists, checked against those uploaded."""
    found = store.uploads.parts_of(upload.upload_id, [n for n, _ in requested])
    for index, (number, etag) in enumerate(requested):
        part = found.get(number)
        if part is None or part.etag != etag:
            raise error("InvalidPart", "One or more of the specified parts could not be found. The part may not "
                                       "have been uploaded, or the specified entity tag may not match the part's "
                                       f"entity tag (part {number}).")
        if index < len(requested) - 1 and part.size < store.min_part:
            raise error("EntityTooSmall", f"Part {number} is {part.size} bytes: every part but the last must "
                                          f"be at least {store.min_part} bytes.")
    return [found[number].manifest() for number, _ in requested]


def _requested(body: bytes) -> list[tuple[int, str]]:
    """(part number, ETag) of each Part of a CompleteMultipartUpload document, in ascending order."""
    document = xml.parse(body, "CompleteMultipartUpload", MAX_COMPLETE)
    requested = []
    for node in document.findall("Part"):
        number, etag = xml.text(node, "PartNumber"), xml.text(node, "ETag")
        if digits(number, 20) is None or etag is None:
            raise error("MalformedXML", "each Part has a PartNumber and an ETag")
        requested.append((digits(number, 20), etag.strip('"')))
    if not requested or len(requested) > catalog.MAX_PART:
        raise error("MalformedXML", "a CompleteMultipartUpload lists 1 to 10,000 parts")
    if any(a[0] >= b[0] for a, b in zip(requested, requested[1:])):
        raise error("InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered "
                                        "by part number.")
    return requested


def current(store: Store, call: Call, states=("open",)):
    """The upload the call names (``uploadId``), of its bucket and key, which the caller may write to."""
    bucket = store.bucket(call)
    allow(bucket.access, call, WRITE)
    check_key(call.key)
    upload = store.uploads.get(call.arg("uploadId", ""))
    if upload is None or upload.bucket != call.bucket or upload.key != call.key or upload.state not in states:
        raise error("NoSuchUpload")
    if call.user_name not in (upload.initiator or None, bucket.owner):
        raise error("AccessDenied", "The upload was started by another user.")
    return upload


def part_number(text: str | None) -> int:
    number = digits(text, 5)
    if number is None or not 1 <= number <= catalog.MAX_PART:
        raise error("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive")
    return number


def _copy_range(header: str | None, size: int) -> tuple[int, int] | None:
    if header is None:
        return None
    first, _, last = header.strip().removeprefix("bytes=").partition("-")
    first, last = digits(first, 19), digits(last, 19)
    if not header.strip().startswith("bytes=") or first is None or last is None or first > last or last >= size:
        raise error("InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last "
                                       "where first and last are the zero-based offsets of the first and last "
                                       "bytes to copy")
    return first, last


def _count(call: Call, name: str, most: int) -> int:
    value = digits(call.arg(name, str(most)), 64)
    if value is None:
        raise error("InvalidArgument", f"{name} must be an integer from 0 to 2147483647")
    return min(value, most)


def _person(name: str) -> list:
    return [("ID", name), ("DisplayName", name)]
