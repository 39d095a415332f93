"""Upload tokens (book §3.4 resumable, fixed per D7 and issue 18).

The book's token was plain base64 JSON naming internal servers: anyone could edit it and make the
api talk to any host, and anyone who saw one learnt the data servers' addresses and temp ids.
Here a token is the upload's state (name, size, hash, the six servers and temp uuids, the expiry
time) sealed with AES-256-GCM under a key derived from the secret every api server shares: its
content is unreadable outside the api servers, and a token that was altered, forged or padded
with junk fails to open, before anything is sent anywhere. Text: URL-safe base64, no padding.
"""
import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import time
from dataclasses import asdict, dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chapter01_single.errors import StorageError

NONCE = 12                              # bytes of AES-GCM nonce, random per token
_TEXT = re.compile(r"[A-Za-z0-9_-]{40,4000}\Z")


class InvalidToken(StorageError):
    """The upload token is malformed or was not issued by this cluster."""
    status, code = 403, "InvalidToken"


class UploadExpired(StorageError):
    """The upload expired; start a new one with POST."""
    status, code = 410, "UploadExpired"


@dataclass(frozen=True)
class Upload:
    """What a token carries: one resumable upload."""
    name: str
    size: int
    hash: str
    servers: list
    uuids: list
    expires: float


def issue(upload: Upload, secret: bytes) -> str:
    """The token for ``upload``."""
    nonce = os.urandom(NONCE)
    sealed = AESGCM(_key(secret)).encrypt(nonce, json.dumps(asdict(upload), separators=(",", ":")).encode(), None)
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def verify(token: str, secret: bytes, now: float | None = None) -> Upload:
    """The upload a genuine, unexpired token carries."""
    try:
        if not _TEXT.match(token) or len(token) % 4 == 1:
            raise ValueError("not a token's text")
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        upload = Upload(**json.loads(AESGCM(_key(secret)).decrypt(raw[:NONCE], raw[NONCE:], None)))
    except (ValueError, TypeError, binascii.Error, InvalidTag):
        raise InvalidToken() from None
    if upload.expires <= (time.time() if now is None else now):
        raise UploadExpired()
    return upload


def _key(secret: bytes) -> bytes:
    """The token key, derived from the shared secret (never the secret itself)."""
    return hmac.new(secret, b"pyobjectstorage upload token v2", hashlib.sha256).digest()
