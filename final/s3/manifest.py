"""An object completed from a multipart upload: its version lists its parts (no byte was moved).

Its ``hash`` is ``parts:<upload id>`` (no content has that address), its ``parts`` field (indexed)
the content hashes of its parts, so the tools count each as referenced, and ``info["parts"]`` what a
read needs of each: number, hash, size, stored form (``packed``, ``replicas``) and MD5 (ETag). A
read opens the parts it spans one after the other, each through the ``Objects`` pipeline (so each
is checked, and repaired, as any object is); the first one before the answer starts, so a part that
cannot be read is a clean 503.
"""
import hashlib

from chapter02_distributed.api_server.store import Body
from chapter02_distributed.common.objectstream import HopPool  # unchanged since chapter 2
from final.catalog.keys import MULTIPART, S3Version
from final.s3.context import digits
from final.s3.errors import error

PREFIX = MULTIPART
_pins = HopPool(8, thread_name_prefix="pin-parts")


def multipart_etag(md5s_hex: list[str]) -> str:
    """S3's ETag of a multipart object: the MD5 of the parts' binary MD5s, ``-`` their count."""
    return hashlib.md5(b"".join(bytes.fromhex(m) for m in md5s_hex)).hexdigest() + f"-{len(md5s_hex)}"


def parts(record) -> list[dict]:
    """The manifest of a multipart object's version, [] for any other."""
    return (record.info.get("parts") or []) if record.hash.startswith(PREFIX) else []


def part_record(record, part: dict) -> S3Version:
    """The record ``Objects.open`` reads one part by (its content, size and stored form)."""
    return S3Version(record.name, record.version, int(part["size"]), part["hash"], part.get("packed"),
                             tuple(part.get("replicas") or ()))


def fields(record) -> dict:
    """What a new version of the same content must carry besides hash and size."""
    return {"packed": record.packed, "replicas": record.replicas, "parts": tuple(getattr(record, "parts", ()))}


def part_span(record, number: str) -> tuple[tuple[int, int], int]:
    """(byte span of part ``number``, the object's part count) for ``?partNumber=``."""
    number = digits(number, 5)
    if number is None or not 1 <= number <= 10000:
        raise error("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive")
    listed = parts(record)
    if not listed:                       # a simple object is its one part
        if number != 1:
            raise error("InvalidPartNumber")
        return (0, record.size - 1), 1
    if number > len(listed):
        raise error("InvalidPartNumber")
    first = sum(int(p["size"]) for p in listed[:number - 1])
    size = int(listed[number - 1]["size"])
    return (first, first + size - 1), len(listed)             # (an empty part: a span of length 0)


def open_object(objects, record, span: tuple[int, int] | None = None) -> Body:
    """The object's bytes (or ``span`` of them), whatever it was made of."""
    listed = parts(record)
    if not listed:
        return objects.open(record, span)
    first, last = span if span is not None else (0, record.size - 1)
    pieces, offset = [], 0
    for part in listed:                  # (part, span within it) for every part the span touches
        size = int(part["size"])
        if size and offset <= last and offset + size - 1 >= first:
            within = (max(first - offset, 0), min(last - offset, size - 1))
            pieces.append((part_record(record, part), None if within == (0, size - 1) else within))
        offset += size
    opened = objects.open(*pieces[0]) if pieces else None
    return Body(_chain(objects, opened, pieces[1:]), last - first + 1)


def _chain(objects, opened: Body | None, rest: list):
    for piece in [None, *rest]:
        body = opened if piece is None else objects.open(*piece)
        if body is None:
            return
        chunks = iter(body.chunks)
        try:
            yield from chunks
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()


def pin(objects, record) -> None:
    """Pin the sharded content a new version is about to name (kept from the orphan tool meanwhile)."""
    listed = parts(record)
    if not listed:
        if not record.replicas:
            objects.pin(record.hash)
        return
    pin_parts(objects, listed)


def pin_parts(objects, listed: list[dict]) -> None:
    list(_pins.map(objects.pin, [p["hash"] for p in listed if not p.get("replicas")]))
