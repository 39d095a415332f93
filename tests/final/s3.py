"""S3 test helpers: the cluster's users, boto3 clients, and requests signed by MinIO's signer.

``signed`` builds requests no SDK would send (a wrong ``x-amz-content-sha256``, a skewed clock,
``aws-chunked`` bodies) and signs them with MinIO's SigV4 code, an implementation independent of
the server's. ``aws_chunked`` encodes a body as AWS documents it (signed chunks, or unsigned with a
trailing checksum).
"""
import base64
import hashlib
import hmac
import json
import uuid
import zlib
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlsplit

import boto3
import requests
from botocore.config import Config
from minio.credentials import Credentials
from minio.signer import sign_v4_s3

REGION = "us-east-1"
USERS = {"objstore": ("objstore", "objstore-secret"), "alice": ("alice-key", "alice-secret"),
         "bob": ("bob-key", "bob-secret")}
USERS_FILE = Path("/tmp/osd-s3-users.json")
AMZ_DATE = "%Y%m%dT%H%M%SZ"
EMPTY = hashlib.sha256(b"").hexdigest()


def users_file() -> str:
    USERS_FILE.write_text(json.dumps({"users": [{"name": name, "access_key": access, "secret_key": secret}
                                                for name, (access, secret) in USERS.items()]}))
    return str(USERS_FILE)


def client(front: str, user: str = "objstore", secret: str | None = None, **config):
    """A boto3 S3 client of ``user`` (path style, SigV4, no retries)."""
    access, secret_key = USERS.get(user, (user, "x"))
    return boto3.client("s3", endpoint_url=f"http://{front}", region_name=REGION, aws_access_key_id=access,
                        aws_secret_access_key=secret or secret_key,
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                      retries={"max_attempts": 1}, **config))


def bucket_name(tag: str = "b") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}"


def new_bucket(client, tag: str = "b") -> str:
    """A new bucket of ``client``'s user; its name."""
    name = bucket_name(tag)
    client.create_bucket(Bucket=name)
    return name


def signed(front: str, method: str, path: str, *, user: str = "objstore", body: bytes = b"", headers=None,
           query: str = "", payload: str | None = None, when: datetime | None = None) -> requests.Response:
    """``method`` ``path`` (already URL-encoded) signed by MinIO's signer for ``user``."""
    payload = payload or hashlib.sha256(body).hexdigest()
    url, all_headers = sign(front, method, path, user=user, headers=headers, query=query, payload=payload, when=when)
    return requests.request(method, url, data=body, headers=all_headers, timeout=60)


def sign(front: str, method: str, path: str, *, payload: str, user: str = "objstore", headers=None,
         query: str = "", when: datetime | None = None) -> tuple[str, dict]:
    """(URL, headers with ``Authorization``) of a request signed by MinIO's signer."""
    when = when or datetime.now(timezone.utc)
    access, secret = USERS[user]
    query = "&".join(part if "=" in part else f"{part}=" for part in query.split("&") if part)   # as MinIO's SDK sends
    url = urlsplit(f"http://{front}{path}" + (f"?{query}" if query else ""))
    all_headers = {"Host": front, "x-amz-date": when.strftime(AMZ_DATE), "x-amz-content-sha256": payload,
                   **(headers or {})}
    all_headers = sign_v4_s3(method=method, url=url, region=REGION, headers=all_headers,
                             credentials=Credentials(access, secret), content_sha256=payload, date=when)
    return url.geturl(), dict(all_headers)


def key_path(bucket: str, key: str) -> str:
    return f"/{bucket}/{quote(key, safe='/~')}"


def error_code(response: requests.Response) -> str:
    """The ``Code`` of an S3 error document."""
    text = response.text
    return text.split("<Code>", 1)[1].split("</Code>", 1)[0] if "<Code>" in text else ""


def aws_chunked(data: bytes, chunk: int, seed: str | None = None, when: datetime | None = None,
                user: str = "objstore", trailer: str | None = None) -> bytes:
    """``data`` as an ``aws-chunked`` body: signed chunks chained from the ``seed`` signature, or
    unsigned (``seed`` None) with a trailing ``x-amz-checksum-crc32`` when ``trailer`` is its name."""
    pieces, previous = [data[i:i + chunk] for i in range(0, len(data), chunk)] + [b""], seed
    key = signing_key(USERS[user][1], when) if seed else None
    out = bytearray()
    for piece in pieces:
        if seed:
            text = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", when.strftime(AMZ_DATE), scope(when), previous, EMPTY,
                              hashlib.sha256(piece).hexdigest()])
            previous = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
            out += f"{len(piece):x};chunk-signature={previous}\r\n".encode()
        else:
            out += f"{len(piece):x}\r\n".encode()
        out += piece + (b"\r\n" if piece else b"")
    if trailer:
        crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
        out += f"{trailer}:{crc}\r\n".encode()
    return bytes(out + b"\r\n")


def scope(when: datetime) -> str:
    return f"{when.strftime('%Y%m%d')}/{REGION}/s3/aws4_request"


def signing_key(secret: str, when: datetime) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (when.strftime("%Y%m%d"), REGION, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def seed_signature(response_headers: dict) -> str:
    return response_headers["Authorization"].rsplit("Signature=", 1)[1]
