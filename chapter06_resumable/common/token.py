"""Upload tokens (book §3.4 resumable, fixed per D7).

The book's token was plain base64 JSON naming internal servers: anyone could edit it and make the
api talk to any host. Here a token is ``<payload>.<signature>``, both URL-safe base64 without
padding: the payload is the upload's state (name, size, hash, the six servers and temp uuids, the
expiry time), the signature an HMAC-SHA256 of it with a secret every api server shares. A token
that does not verify is refused before anything is sent anywhere; an expired one too.
"""
import base64
import binascii
import hmac
import json
import time
from dataclasses import asdict, dataclass

from chapter01_single.errors import StorageError


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
    payload = _b64(json.dumps(asdict(upload), separators=(",", ":")).encode())
    return f"{payload}.{_b64(_sign(payload, secret))}"


def verify(token: str, secret: bytes, now: float | None = None) -> Upload:
    """The upload a genuine, unexpired token carries."""
    payload, _, signature = token.partition(".")
    try:
        genuine = hmac.compare_digest(_unb64(signature), _sign(payload, secret))
        upload = Upload(**json.loads(_unb64(payload))) if genuine else None
    except (ValueError, TypeError, binascii.Error):
        upload = None
    if upload is None:
        raise InvalidToken()
    if upload.expires <= (time.time() if now is None else now):
        raise UploadExpired()
    return upload


def _sign(payload: str, secret: bytes) -> bytes:
    return hmac.new(secret, payload.encode(), "sha256").digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
