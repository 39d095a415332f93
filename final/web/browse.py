"""The web view's buckets and objects: list, look, upload, download, delete (issue 22).

Every page and action is S3 calls as the signed-in user (``site.s3``), so the S3 wing's ACLs
decide what is listed, shown or changed. Keys travel in query strings and form fields, never in
the path, and are shown only through Jinja's escaping. Uploads are the page's script's: one PUT up
to ``PART`` bytes, else a multipart upload of ``PART``-sized parts (``/ui/api/…``, JSON, CSRF
token in a header). A download is an attachment with a sandboxing policy: a stored page never runs
as this site.
"""
import base64
from collections import deque
from urllib.parse import quote

from flask import redirect, render_template, request, url_for

from final.s3 import manifest, xml
from final.s3.errors import S3Error, error
from final.web.site import new_blueprint, current_user, failure_of, s3, web

PAGE = 50                       # keys a bucket page lists
VERSIONS = 20                   # versions an object page lists
MAPPED_PARTS = 8                # parts of a multipart object whose shard maps are shown
PART = 8 << 20                  # the page's script: bytes of a part (ui.js reads it from the page)

blueprint = new_blueprint("browse", __name__)


@blueprint.errorhandler(S3Error)
def refused(failure: S3Error):
    return failure_of(failure)


@blueprint.get("/")
def home():
    return redirect(url_for("browse.buckets"))


@blueprint.get("/buckets")
def buckets():
    s3("GET", "")                                  # signed in: ListBuckets is allowed (and checked)
    user = current_user().name
    mine = sorted((b for b in web().store.buckets.all() if b.owner == user), key=lambda b: b.name)
    return render_template("buckets.html", buckets=mine)


@blueprint.post("/buckets")
def create_bucket():
    name = named(request.form.get("name", ""))
    s3("PUT", name)
    return redirect(url_for("browse.bucket", name=name))


@blueprint.post("/buckets/delete")
def delete_bucket():
    s3("DELETE", named(request.form.get("name", "")))
    return redirect(url_for("browse.buckets"))


@blueprint.get("/bucket")
def bucket():
    name = named(request.args.get("name", ""))
    prefix, after = request.args.get("prefix", ""), request.args.get("after", "")
    s3("GET", name, query={"list-type": "2", "max-keys": "0"})     # the ACL check (and the bucket's existence)
    page = web().store.keys.listing(name, prefix, after, "/", PAGE)
    entries = [(r.name.split("/", 1)[1], r) for r in page.keys]
    return render_template("bucket.html", name=name, prefix=prefix, page=page, part=PART,
                           folders=folders(prefix), entries=entries)


@blueprint.get("/object")
def object_page():
    name, key = target(request.args)
    head = s3("HEAD", name, key)                   # the ACL check
    record = web().store.keys.head(name, key)
    if record is None:
        raise error("NoSuchKey")
    bucket = web().store.buckets.get(name)
    created = bucket.created if bucket else 0          # a name's versions from before: another owner's
    versions = [v for v in deque(web().store.keys.versions(f"{name}/{key}"), maxlen=VERSIONS) if v.modified >= created]
    versions.reverse()
    listed = manifest.parts(record)
    sha256 = "" if listed else base64.b64decode(record.hash).hex()
    return render_template("object.html", bucket=name, key=key, record=record, versions=versions, sha256=sha256,
                           parts=len(listed), content_type=head.headers.get("Content-Type", ""),
                           maps=shard_maps(record))


@blueprint.get("/download")
def download():
    name, key = target(request.args)
    response = s3("GET", name, key)
    filename = key.rsplit("/", 1)[-1] or "object"
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@blueprint.post("/object/delete")
def delete_object():
    name, key = target(request.form)
    s3("DELETE", name, key)
    return redirect(url_for("browse.bucket", name=name, prefix=key.rpartition("/")[0] + "/" if "/" in key else ""))


@blueprint.put("/api/object")
def put_object():
    """One PUT of the file's bytes (the request's body)."""
    response = s3("PUT", *target(), headers=content_type(), length=request.content_length)
    return {"etag": response.headers["ETag"].strip('"')}


@blueprint.post("/api/uploads")
def create_upload():
    response = s3("POST", *target(), query={"uploads": ""}, headers=content_type())
    return {"upload_id": xml.text(xml.parse(response.get_data(), "InitiateMultipartUploadResult"), "UploadId")}


@blueprint.put("/api/uploads/part")
def upload_part():
    query = {"uploadId": request.args.get("upload_id", ""), "partNumber": request.args.get("part", "")}
    response = s3("PUT", *target(), query=query, length=request.content_length)
    return {"etag": response.headers["ETag"].strip('"')}


@blueprint.post("/api/uploads/complete")
def complete_upload():
    listed = (request.get_json(silent=True) or {}).get("parts")
    if not isinstance(listed, list) or not all(isinstance(p, dict) for p in listed):
        raise error("MalformedXML", "parts: a list of {part, etag}")
    document = xml.document("CompleteMultipartUpload", [
        ("Part", [("PartNumber", str(p.get("part"))), ("ETag", f'"{p.get("etag")}"')]) for p in listed])
    s3("POST", *target(), query={"uploadId": request.args.get("upload_id", "")}, body=document)
    return {"done": True}


@blueprint.post("/api/uploads/abort")
def abort_upload():
    s3("DELETE", *target(), query={"uploadId": request.args.get("upload_id", "")})
    return {"aborted": True}


def target(given=None) -> tuple[str, str]:
    """(bucket, key) named by ``given`` (the query string unless said): both are needed, as an S3
    call without a key is another call (DELETE of a bucket, PUT of a bucket)."""
    given = request.args if given is None else given
    key = given.get("key", "")
    if not key:
        raise error("InvalidArgument", "an object key is needed")
    return named(given.get("bucket", "")), key


def named(bucket: str) -> str:
    if not bucket:
        raise error("InvalidBucketName", "a bucket name is needed")
    return bucket


def content_type() -> dict:
    kind = request.headers.get("Content-Type", "")
    return {"Content-Type": kind} if kind and len(kind) < 256 else {}


def folders(prefix: str) -> list[tuple[str, str]]:
    """(name, prefix) of each folder of ``prefix``: the breadcrumbs."""
    names = prefix.split("/")[:-1]
    return [(n, "/".join(names[:i + 1]) + "/") for i, n in enumerate(names)]


def shard_maps(record) -> list[dict]:
    """Where the object's content is: one map, or one per part (the first ``MAPPED_PARTS``)."""
    listed = manifest.parts(record)
    pieces = [manifest.part_record(record, p) for p in listed[:MAPPED_PARTS]] if listed else [record]
    live, found = web().cluster.data.live(), web().survey([piece.hash for piece in pieces])
    return [dict(layout(where, piece.replicas, live), part=number if listed else None, size=piece.size)
            for number, (piece, where) in enumerate(zip(pieces, found), 1)]


def layout(found: dict, replicas: tuple, live: list[str]) -> dict:
    """A survey as the page draws it: ``rows`` (one per piece, or per missing one) for the table,
    ``boxes`` (one per data server, with the pieces it holds) for the diagram."""
    if replicas:
        rows = [{"label": f"replica on {r['server']}", "server": r["server"], "kind": "container record",
                 "where": f"container {r['container']} at {r['offset']} ({r['length']} bytes)", "state": r["state"]}
                for r in found["replicas"]]
        held = {r["server"] for r in found["replicas"]}
        rows += [{"label": f"replica on {s}", "server": s, "kind": "container record", "where": "", "state": "missing"}
                 for s in replicas if s not in held]
    else:
        rows = []
        for index, pieces in sorted(found["shards"].items()):
            rows += [{"label": str(index), "server": p["server"], "kind": f"{p.get('form', 'plain')} shard file",
                      "where": p["file"], "state": p["state"]} for p in pieces]
            rows += [] if pieces else [{"label": str(index), "server": "", "kind": "", "where": "", "state": "missing"}]
    servers = sorted(set(live) | {row["server"] for row in rows if row["server"]})
    boxes = [{"server": s, "down": s in found["silent"] or s not in live,
              "pieces": [{"label": "replica" if replicas else f"shard {row['label']}", "state": row["state"]}
                         for row in rows if row["server"] == s]} for s in servers]
    missing = [row for row in rows if row["state"] == "missing" and not row["server"]]
    if missing:
        boxes.append({"server": "nowhere", "down": True,
                      "pieces": [{"label": f"shard {row['label']}", "state": "missing"} for row in missing]})
    return {"kind": "replicas" if replicas else "shards", "rows": rows, "boxes": boxes,
            "tall": max([len(b["pieces"]) for b in boxes] + [1])}

