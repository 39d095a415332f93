"""Object names (book §1.1, fixed per D8).

A name is the percent-decoded UTF-8 text after the resource prefix of the *raw* request path, so
``a%20b`` and ``a b`` are one name. It is never empty, never longer than ``max_bytes`` UTF-8 bytes,
holds no NUL or control character and no ``.``/``..`` segment. Chapters 1-2 store objects as files
named after the object, so there a name is one file name: no ``/`` (raw or ``%2F``) at all.
"""
from urllib.parse import quote, unquote_to_bytes

from chapter01_single.errors import InvalidName


class NamePolicy:
    """Turns a raw path into a validated object name; subclasses relax or tighten the rules."""
    max_bytes = 255          # a file name on ext4 and most file systems
    allow_slash = False

    def from_path(self, raw_path: str, prefix: str) -> str:
        """The name in ``raw_path`` (query string already removed) after ``prefix``."""
        if not raw_path.startswith(prefix):
            raise InvalidName("the path does not name an object")
        return self.parse(raw_path[len(prefix):])

    def parse(self, segment: str) -> str:
        """Decode and validate one still-percent-encoded name."""
        raw = unquote_to_bytes(segment)
        if not raw:
            raise InvalidName("the object name is empty")
        if len(raw) > self.max_bytes:
            raise InvalidName(f"the object name is longer than {self.max_bytes} bytes")
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidName("the object name is not UTF-8") from None
        self._check(name)
        return name

    def _check(self, name: str) -> None:
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
            raise InvalidName("the object name holds a control character")
        if "/" in name and not self.allow_slash:
            raise InvalidName("the object name holds a '/'")
        if any(part in ("", ".", "..") for part in name.split("/")):
            raise InvalidName("the object name holds an empty, '.' or '..' segment")


def raw_path(environ: dict) -> str:
    """The request path exactly as the client sent it, without the query string."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw is None:   # a server that keeps only PATH_INFO (the test client): re-encode it
        raw = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe="/")
    if "://" in raw.split("?", 1)[0]:   # absolute-form request target
        raw = "/" + raw.split("://", 1)[1].partition("/")[2]
    return raw.split("?", 1)[0]
