"""Byte ranges of RFC 9110 §14 for GET (book §4.6, fixed per D17).

One range per request: ``bytes=a-b``, ``bytes=a-`` and ``bytes=-n``; the unit's name in any case
and numbers of any length (an end past the object is the object's end). A header that is not a
single byte range is ignored (the whole object is sent, as RFC 9110 allows); a range that starts
past the end is ``416`` with ``Content-Range: bytes */<size>``. A suffix range of an empty object
is satisfiable (§14.1.1) but no 206 can say so: the whole, empty object is sent (200).
"""
import re
from typing import Iterator

from chapter01_single.errors import StorageError

_RANGE = re.compile(r"bytes=(\d*)-(\d*)\Z", re.IGNORECASE)


class RangeNotSatisfiable(StorageError):
    """The requested range lies outside the object."""
    status, code = 416, "InvalidRange"


def parse(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte positions, inclusive, or None for the whole object."""
    match = _RANGE.match((header or "").replace(" ", ""))
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":                                  # a suffix: the last n bytes
        if int(last) == 0:
            raise _unsatisfiable(size)
        return (max(size - int(last), 0), size - 1) if size else None
    first = int(first)
    if last and int(last) < first:
        return None                                  # a-b with b < a: invalid, ignored
    if first >= size:
        raise _unsatisfiable(size)
    return first, min(int(last) if last else size - 1, size - 1)


def content_range(first: int, last: int, size: int) -> str:
    return f"bytes {first}-{last}/{size}"


def cut(parts: Iterator[bytes], skip: int, length: int) -> Iterator[bytes]:
    """``length`` bytes of ``parts`` after its first ``skip``; ``parts`` is closed at the end."""
    try:
        for part in parts:
            if skip:
                taken = min(skip, len(part))
                part, skip = part[taken:], skip - taken
            part = part[:length]
            length -= len(part)
            if part:
                yield part
            if length == 0:
                return
    finally:
        parts.close()


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(f"no byte of the range lies in the object's {size} bytes",
                               headers=[("Content-Range", f"bytes */{size}")])
