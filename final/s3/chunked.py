"""The ``aws-chunked`` body encoding of S3 uploads (final/, the s3 wing), and S3's checksums.

    10000;chunk-signature=<64 hex>\\r\\n <65536 bytes> \\r\\n      (signed; unsigned: "10000\\r\\n")
    0;chunk-signature=<64 hex>\\r\\n                             the last chunk, empty
    x-amz-checksum-crc32:<base64>\\r\\n  x-amz-trailer-signature:<hex>\\r\\n  \\r\\n   (trailer forms)

``ChunkedBody`` streams the data out, chaining each chunk's signature from the request's own
(``sigv4.Verified``), and checks the total against ``x-amz-decoded-content-length``.
"""
import base64
import hashlib
import hmac
import re
import zlib

import google_crc32c

from final.s3.errors import InvalidRequest, SignatureDoesNotMatch, SignatureError
from final.s3.sigv4 import EMPTY_SHA256, Verified, sign

SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
STREAMING = (SIGNED, SIGNED_TRAILER, UNSIGNED_TRAILER)
MAX_LINE = 4096                     # a chunk header or trailer line
MAX_CHUNK = 16 << 20                # SDKs send 64 KiB to 8 MiB; a signed chunk is held until checked
MAX_TRAILERS = 16
READ_SIZE = 64 << 10
PIECE = 1 << 20                     # an unsigned chunk is passed on in pieces of this much at most
SIZE = re.compile(rb"[0-9a-fA-F]{1,8}")
CHUNK_SIGNATURE = re.compile(rb"chunk-signature=([0-9a-f]{64})")
TRAILER_SIGNATURE = "x-amz-trailer-signature"


class IncompleteBody(SignatureError):
    code, status, message = "IncompleteBody", 400, ("You did not provide the number of bytes specified by the "
                                                    "Content-Length HTTP header.")


class ChunkedBody:
    """The data of an ``aws-chunked`` body, in chunks; ``trailers`` once it has been read through."""

    def __init__(self, stream, content_sha256: str, decoded_length: int | None,
                 verified: Verified | None = None, trailer_names=()):
        if content_sha256 not in STREAMING:
            raise InvalidRequest(f"x-amz-content-sha256 {content_sha256[:80]!r} is not an aws-chunked form")
        self.signed = content_sha256 != UNSIGNED_TRAILER
        if self.signed and verified is None:
            raise ValueError("a signed aws-chunked body needs the request's Verified")
        self.with_trailers, self.verified = content_sha256 != SIGNED, verified
        self.stream, self.decoded_length, self.trailer_names = stream, decoded_length, tuple(trailer_names)
        self.previous = verified.seed_signature if verified else ""     # the signature chain so far
        self.trailers: dict[str, str] = {}
        self._buffer = bytearray()

    @classmethod
    def of(cls, stream, headers, verified: Verified | None = None) -> "ChunkedBody":
        """From a request's lower-cased headers (x-amz-content-sha256, -decoded-content-length, -trailer)."""
        length = headers.get("x-amz-decoded-content-length", "")
        if not length.isascii() or not length.isdigit():
            raise InvalidRequest("An aws-chunked body needs x-amz-decoded-content-length.")
        names = [n.strip().lower() for n in headers.get("x-amz-trailer", "").split(",") if n.strip()]
        return cls(stream, headers.get("x-amz-content-sha256", ""), int(length), verified, names)

    def __iter__(self):
        total = 0
        while True:
            size, claimed = self._chunk_header()
            if size == 0:
                break
            total += size
            if self.decoded_length is not None and total > self.decoded_length:
                raise IncompleteBody("The body holds more than x-amz-decoded-content-length says.")
            if self.signed:
                data = self._exact(size)            # held whole: nothing unverified is passed on
                self._check_chunk(data, claimed)
                yield data
            else:
                yield from self._pieces(size)
            if self._line() != b"":
                raise InvalidRequest("A chunk's data is not followed by CRLF.")
        if self.signed:
            self._check_chunk(b"", claimed)
        self._read_trailers()
        if self.decoded_length is not None and total != self.decoded_length:
            raise IncompleteBody()

    def _chunk_header(self) -> tuple[int, str]:
        """The next chunk's size, and its signature when signed."""
        size, _, extension = self._line().partition(b";")
        if not SIZE.fullmatch(size.strip()):
            raise InvalidRequest("A chunk's size is not hexadecimal.")
        if int(size, 16) > MAX_CHUNK:
            raise InvalidRequest(f"A chunk is larger than {MAX_CHUNK} bytes.")
        if self.signed:
            match = CHUNK_SIGNATURE.fullmatch(extension.strip())
            if not match:
                raise InvalidRequest("A chunk has no chunk-signature.")
            return int(size, 16), match.group(1).decode()
        return int(size, 16), ""

    def _check_chunk(self, data: bytes, claimed: str) -> None:
        self._chain("AWS4-HMAC-SHA256-PAYLOAD", [EMPTY_SHA256, hashlib.sha256(data).hexdigest()], claimed)

    def _chain(self, kind: str, hashes: list[str], claimed: str) -> None:
        """Each signature signs the one before it: a chunk cannot be dropped, moved or replayed."""
        text = "\n".join([kind, self.verified.amz_date, self.verified.scope, self.previous, *hashes])
        expected = sign(self.verified.signing_key, text)
        if not hmac.compare_digest(expected, claimed):
            raise SignatureDoesNotMatch()
        self.previous = expected

    def _read_trailers(self) -> None:
        lines = []
        line = self._line(eof_ok=True)
        if line == b"" and self.with_trailers and self.trailer_names:
            line = self._line(eof_ok=True)      # a blank line before the trailers (AWS's own example)
        while line:                             # a blank line ends them; so does the body's end
            if len(lines) == MAX_TRAILERS or b":" not in line:
                raise InvalidRequest("Malformed trailing headers.")
            name, _, value = line.decode("latin-1").partition(":")
            lines.append((name.strip().lower(), value.strip()))
            line = self._line(eof_ok=True)
        if lines and not self.with_trailers:
            raise InvalidRequest("Trailing headers in a body declared without them.")
        claimed = dict(lines).pop(TRAILER_SIGNATURE, None) if self.signed else None
        self.trailers = {name: value for name, value in lines if name != TRAILER_SIGNATURE}
        if self.signed and self.with_trailers:
            canonical = "".join(f"{name}:{value}\n" for name, value in self.trailers.items())
            self._chain("AWS4-HMAC-SHA256-TRAILER", [hashlib.sha256(canonical.encode()).hexdigest()], claimed or "")

    def _line(self, eof_ok: bool = False) -> bytes | None:
        """The next CRLF-ended line, without its CRLF; None at the body's end if ``eof_ok``."""
        start = 0
        while (end := self._buffer.find(b"\r\n", start)) < 0:
            if len(self._buffer) > MAX_LINE:
                raise InvalidRequest("A chunk header or trailer line is too long.")
            start = max(len(self._buffer) - 1, 0)
            if not self._more(READ_SIZE):
                if eof_ok and not self._buffer:
                    return None
                raise IncompleteBody()
        if end > MAX_LINE:
            raise InvalidRequest("A chunk header or trailer line is too long.")
        line = bytes(self._buffer[:end])
        del self._buffer[:end + 2]
        return line

    def _exact(self, size: int) -> bytes:
        while len(self._buffer) < size:
            if not self._more(size - len(self._buffer)):
                raise IncompleteBody()
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _pieces(self, size: int):
        while size:
            if not self._buffer and not self._more(min(size, PIECE)):
                raise IncompleteBody()
            piece = bytes(self._buffer[:min(size, PIECE)])
            del self._buffer[:len(piece)]
            size -= len(piece)
            yield piece

    def _more(self, size: int) -> bool:
        data = self.stream.read(max(size, 1))
        self._buffer += data
        return bool(data)


class Checksum:
    """A running S3 checksum (``x-amz-checksum-<name>``), given as S3 writes it: base64."""
    NAMES = ("crc32", "crc32c", "sha1", "sha256")

    def __init__(self, name: str):
        if name not in self.NAMES:
            raise InvalidRequest(f"Unsupported checksum algorithm {name[:40]!r}.")
        self.name, self._crc = name, 0
        self._hash = hashlib.new(name) if name.startswith("sha") else None

    @classmethod
    def of(cls, header: str) -> "Checksum":
        """From a header or trailer name: ``x-amz-checksum-crc32c`` -> crc32c."""
        return cls(header.lower().removeprefix("x-amz-checksum-"))

    def update(self, data: bytes) -> None:
        if self._hash is not None:
            self._hash.update(data)
        elif self.name == "crc32":
            self._crc = zlib.crc32(data, self._crc)
        else:
            self._crc = google_crc32c.extend(self._crc, bytes(data))    # it refuses a bytearray

    def digest(self) -> str:
        raw = self._hash.digest() if self._hash is not None else self._crc.to_bytes(4, "big")
        return base64.b64encode(raw).decode()
