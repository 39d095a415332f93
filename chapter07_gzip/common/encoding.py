"""``Accept-Encoding`` per RFC 9110 §12.5.3, for gzip only (book §4.7, fixed per D17).

The book took gzip only when a header value was exactly ``gzip``; ``curl --compressed`` sends
``gzip, deflate`` (or more) and got plain bytes. Here the list is parsed with its q-values:
``gzip`` (or ``x-gzip``) with q > 0, or ``*`` with q > 0 when gzip is not listed.
"""


def accepts_gzip(header: str | None) -> bool:
    """Whether a client sending ``Accept-Encoding: header`` takes a gzip body."""
    weights = {}
    for item in (header or "").split(","):
        coding, _, params = item.strip().partition(";")
        weights[coding.strip().lower()] = _quality(params)
    for coding in ("gzip", "x-gzip"):
        if coding in weights:
            return weights[coding] > 0
    return weights.get("*", 0) > 0


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0
