"""Content hashes (book §1.3, §1.4, fixed per D1, D6).

The canonical hash is **H**, the standard base64 of the 32-byte SHA-256 (44 characters), as the book
stores it in Elasticsearch. On data servers an object is named by ``key(H)``, the same bytes in
URL- and file-safe base64 without padding (43 characters of ``A-Z a-z 0-9 - _``): no ``/`` to
escape, nothing a shell or URL mangles. ``Digest: SHA-256=<H>`` (and RFC 9530's
``Content-Digest: sha-256=:<H>:``) is parsed strictly, the algorithm's name in any case.
"""
import base64
import binascii
import hashlib
import re

from chapter01_single.errors import BadRequest

DIGEST_PREFIX = "SHA-256="
KEY_TEXT = "[A-Za-z0-9_-]{43}"          # key(H): 43 characters of URL-safe base64, the one rule
KEY = re.compile(KEY_TEXT + r"\Z")


class BadDigest(BadRequest):
    """The Digest header is missing or is not SHA-256=<base64 of 32 bytes>."""
    code = "InvalidDigest"


class DigestMismatch(BadRequest):
    """The body does not hash to the Digest the request claims."""
    code = "BadDigest"


def from_headers(headers) -> str:
    """H from ``Content-Digest: sha-256=:<H>:`` (RFC 9530) or the book's ``Digest: SHA-256=<H>``
    (RFC 3230: a list, algorithm names case-insensitive); a request must carry one of them."""
    content = headers.get("Content-Digest")
    if content is not None:
        return _checked(_member(content, "sha-256", lambda text: text[1:-1] if text[:1] == text[-1:] == ":" else ""))
    legacy = headers.get("Digest")
    if legacy is not None:
        return _checked(_member(legacy, "sha-256", lambda text: text))
    raise BadDigest("a Digest: SHA-256=<base64 of the body's SHA-256> header is required")


def _member(value: str, algorithm: str, unwrap) -> str:
    """The value given for ``algorithm`` in a comma-separated ``name=value`` list ("" if none)."""
    for item in value.split(","):
        name, sep, text = item.strip().partition("=")
        if sep and name.strip().lower() == algorithm:
            return unwrap(text.strip().split(";")[0])
    return ""


def _checked(text: str) -> str:
    if len(text) != 44 or _decode(text, standard=True) is None:
        raise BadDigest("the digest is not SHA-256=<base64 of a 32-byte SHA-256>")
    return text


def parse(text: str) -> str | None:
    """H from either form (standard or URL-safe base64), or None when ``text`` is neither."""
    if len(text) == 44:
        raw = _decode(text, standard=True)
    elif KEY.match(text):
        raw = _decode(text + "=", standard=False)
    else:
        raw = None
    return base64.b64encode(raw).decode() if raw is not None else None


def key(h: str) -> str:
    """The data servers' name for the object whose hash is ``h``."""
    return h.replace("+", "-").replace("/", "_").rstrip("=")


def of(data: bytes) -> str:
    """H of ``data``."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def encode(digest: bytes) -> str:
    """H of a finished ``hashlib.sha256`` digest."""
    return base64.b64encode(digest).decode()


def _decode(text: str, standard: bool) -> bytes | None:
    try:
        raw = base64.b64decode(text, altchars=None if standard else b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 and base64.b64encode(raw, None if standard else b"-_").decode() == text else None
