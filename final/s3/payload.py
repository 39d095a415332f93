"""The body of a PutObject: its length, its bytes (``aws-chunked`` decoded) and every digest it must have.

The store needs an object's SHA-256 before it commits it (its address). A signed payload names
it (``x-amz-content-sha256``: 64 hex digits), and the body streams straight into the chapters'
pipeline, which refuses it unless it hashes to that (``XAmzContentSHA256Mismatch``). Otherwise
(``UNSIGNED-PAYLOAD``, ``aws-chunked``, anonymous) the body is hashed as it is read into a spool
(memory up to ``SPOOL_MEMORY``, then an unlinked temp file) and stored from there. As it streams,
the MD5 (the ETag), ``Content-MD5`` and the ``x-amz-checksum-*`` asked for are computed; the last
chunk is held back until they all match, so a wrong one stores nothing.
"""
import base64
import binascii
import hashlib
import queue
import re
import tempfile
import threading

from chapter01_single.objects import request_body
from chapter01_single.body import request_stream
from chapter01_single.store import read_chunks
from final.s3 import chunked
from final.s3.context import Call
from final.s3.errors import error

SHA256_HEX = re.compile(r"[0-9a-f]{64}\Z")
MAX_SIZE = 5 << 30                       # S3's largest single PUT
SPOOL_MEMORY = 8 << 20
CHUNK = 256 << 10                        # bytes read at once: a big PUT holds a few of them (memory)
BACKGROUND = 1 << 20                     # bodies bigger than this are hashed on a thread of their own
NOT_CHECKSUMS = ("x-amz-checksum-algorithm", "x-amz-checksum-mode", "x-amz-checksum-type")


class Payload:
    """A PUT's body, read once."""

    def __init__(self, call: Call):
        headers = {name.lower(): value for name, value in call.headers.items()}
        sha = headers.get("x-amz-content-sha256", "")
        if sha in chunked.STREAMING:
            self.decoder = chunked.ChunkedBody.of(request_stream(), headers, call.verified)
            self.length = self.decoder.decoded_length
        else:
            self.decoder, self.length = None, call.length
        if self.length is None:
            raise error("MissingContentLength")
        if self.length > MAX_SIZE:
            raise error("EntityTooLarge")
        self.claimed = base64.b64encode(bytes.fromhex(sha)).decode() if SHA256_HEX.match(sha) else None
        self.md5, self.content_md5 = hashlib.md5(), _content_md5(headers.get("content-md5"))
        self.checksums, self.claims = _checksums(headers)
        self.size = 0

    @property
    def etag(self) -> str:
        return self.md5.hexdigest()

    def chunks(self):
        """The body's bytes; the last chunk only once every digest matched."""
        source = self.decoder if self.decoder is not None else request_body(CHUNK)
        hashing, held = Hashing([self.md5, *self.checksums.values()], self.length > BACKGROUND), None
        try:
            for chunk in source:
                self.size += len(chunk)
                hashing.update(chunk)
                if held is not None:
                    yield held
                held = chunk
        finally:
            hashing.finish()
        self._check()
        if held is not None:
            yield held

    def results(self) -> dict:
        """The checksums, ``{"crc32": base64, …}``, as S3 returns them."""
        return {name: checksum.digest() for name, checksum in self.checksums.items()}

    def _check(self) -> None:
        if self.size != self.length:
            raise error("IncompleteBody")
        if self.content_md5 is not None and self.md5.digest() != self.content_md5:
            raise error("BadDigest")
        trailers = self.decoder.trailers if self.decoder is not None else {}
        for name, checksum in self.checksums.items():
            expected = trailers.get(f"x-amz-checksum-{name}") or self.claims.get(name)
            if expected is None:
                raise error("InvalidRequest", f"the trailer x-amz-checksum-{name} was not sent")
            if expected != checksum.digest():
                raise error("BadDigest", f"The {name.upper()} you specified did not match the calculated checksum.")


class Hashing:
    """Hashes updated with every chunk; for a big body on a thread of their own (``hashlib`` lets go
    of the GIL), beside the SHA-256 check and the erasure coding in the request's thread."""

    def __init__(self, hashes: list, background: bool):
        self.hashes, self.queue = hashes, queue.Queue(2) if background else None
        if self.queue is not None:
            self.thread = threading.Thread(target=self._run, name="s3-hashing", daemon=True)
            self.thread.start()

    def update(self, chunk: bytes) -> None:
        if self.queue is None:
            self._update(chunk)
        else:
            self.queue.put(chunk)

    def finish(self) -> None:
        """Wait until every chunk given is hashed."""
        if self.queue is not None:
            self.queue.put(None)
            self.thread.join()

    def _run(self) -> None:
        while (chunk := self.queue.get()) is not None:
            self._update(chunk)

    def _update(self, chunk: bytes) -> None:
        for each in self.hashes:
            each.update(chunk)


def stored_content(objects, payload: Payload) -> tuple[str, dict]:
    """Store the payload's bytes: (their SHA-256, what the version records of them)."""
    if payload.claimed is not None:
        return payload.claimed, objects.store_content(payload.claimed, payload.chunks(), payload.length)
    return spooled(objects, payload.chunks())


def spooled(objects, chunks, also=()) -> tuple[str, dict]:
    """Store bytes whose SHA-256 is not known in advance: hashed (and with ``also``) into a spool
    as they come, then stored from it."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY) as spool:
        sha, size = hashlib.sha256(), 0
        for chunk in chunks:
            for each in (sha, *also):
                each.update(chunk)
            spool.write(chunk)
            size += len(chunk)
        spool.seek(0)
        claimed = base64.b64encode(sha.digest()).decode()
        return claimed, objects.store_content(claimed, read_chunks(spool, CHUNK), size)


def _content_md5(value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 16:
        raise error("InvalidDigest")
    return raw


def _checksums(headers: dict) -> tuple[dict, dict]:
    """The running checksums the request asks for, and the values sent in headers (a trailer,
    announced by ``x-amz-trailer``, brings its value at the end of an ``aws-chunked`` body)."""
    checksums, claims = {}, {}
    for name, value in headers.items():
        if name.startswith("x-amz-checksum-") and name not in NOT_CHECKSUMS:
            checksum = chunked.Checksum.of(name)
            checksums[checksum.name], claims[checksum.name] = checksum, value.strip()
    for name in headers.get("x-amz-trailer", "").split(","):
        if name.strip().lower().startswith("x-amz-checksum-"):
            checksum = chunked.Checksum.of(name.strip())
            checksums.setdefault(checksum.name, checksum)
    if len(checksums) > 1:
        raise error("InvalidRequest", "Expecting a single x-amz-checksum- header.")
    return checksums, claims
