"""Conditional requests (RFC 9110 §13): ``If-Match``, ``If-None-Match``, ``If-Modified-Since`` and
``If-Unmodified-Since``, and CopyObject's ``x-amz-copy-source-if-*``.

Evaluated in RFC 9110's order, as S3 does: a matching ``If-Match`` makes ``If-Unmodified-Since``
moot, a present ``If-None-Match`` makes ``If-Modified-Since`` moot. Times compare to the second
(``Last-Modified`` has no finer unit); a date that does not parse is ignored.
"""
from email.utils import formatdate, parsedate_to_datetime

from final.s3.errors import error


def check_conditions(headers, etag: str, modified: float, prefix: str = "") -> int | None:
    """None to go on, 304 for "not modified"; 412 ``PreconditionFailed`` is raised."""
    if_match, unmodified = headers.get(prefix + "If-Match"), _date(headers.get(prefix + "If-Unmodified-Since"))
    if if_match is not None:
        if not _matches(if_match, etag):
            raise error("PreconditionFailed")
    elif unmodified is not None and int(modified) > unmodified:
        raise error("PreconditionFailed")
    none_match, since = headers.get(prefix + "If-None-Match"), _date(headers.get(prefix + "If-Modified-Since"))
    if none_match is not None:
        return 304 if _matches(none_match, etag) else None
    if since is not None and int(modified) <= since:
        return 304
    return None


def http_date(seconds: float) -> str:
    """Last-Modified's form: Fri, 04 Dec 2026 20:03:10 GMT."""
    return formatdate(int(seconds), usegmt=True)


def _matches(header: str, etag: str) -> bool:
    tags = [tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")]
    return "*" in tags or etag in tags


def _date(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return int(parsedate_to_datetime(text).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
