"""AWS Signature Version 4, verified on the server side (final/, the s3 wing).

``parse`` reads a request's credentials from its ``Authorization`` header or, for a presigned URL,
from its query; ``check`` rebuilds S3's canonical request and compares signatures. S3 does not
normalise paths (``a//b`` and ``x/`` stay as they are) and does not double-encode them. ``check``
answers a ``Verified``: the signing key and seed signature the ``aws-chunked`` decoder goes on with.
"""
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote_to_bytes

from final.s3.errors import (AccessDenied, AuthorizationHeaderMalformed, AuthorizationQueryParametersError,
                             InvalidArgument, InvalidRequest, RequestExpired, RequestTimeTooSkewed,
                             SignatureDoesNotMatch)

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
SERVICE = "s3"
MAX_SKEW = 900                          # seconds: S3 refuses a header-signed request 15 minutes off
MAX_EXPIRES = 604800                    # a presigned URL lives a week at most
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
PAYLOAD_FORMS = (UNSIGNED_PAYLOAD, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                 "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")     # else x-amz-content-sha256 is a hex digest
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
AMZ_DATE = "%Y%m%dT%H%M%SZ"
PRESIGN_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                  "X-Amz-SignedHeaders", "X-Amz-Signature")
UNSIGNED_OK = ("x-amz-content-sha256",)  # its value is the canonical request's last line anyway
MUST_SIGN = re.compile(r"host|x-amz-.*")  # S3 refuses these unsigned: they change what is done


@dataclass
class Signed:
    """A request as the gateway sees it: the raw path and query, lower-cased header names."""
    method: str
    path: str                            # exactly as sent, still percent-encoded
    query: str = ""                      # the raw query string, without '?'
    headers: dict[str, str] = field(default_factory=dict)   # repeated headers joined with ","
    payload_hash: str | None = None      # the x-amz-content-sha256 header, if sent

    @classmethod
    def of(cls, method: str, path: str, query: str, pairs) -> "Signed":
        """From (name, value) header pairs, as WSGI or a client hands them."""
        headers: dict[str, str] = {}
        for name, value in pairs:
            name = name.lower()
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        return cls(method, path, query, headers, headers.get("x-amz-content-sha256"))


@dataclass(frozen=True)
class Credentials:
    """What a request claims: who signed it, for which scope, when, and the signature."""
    access_key: str
    date: str                            # the scope's yyyymmdd
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str                        # the request time as signed: 20130524T000000Z
    presigned: bool = False
    expires: int | None = None           # seconds after amz_date (presigned only)

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{TERMINATOR}"


@dataclass(frozen=True)
class Verified:
    """A checked request: what its ``aws-chunked`` body is verified with."""
    access_key: str
    signing_key: bytes
    amz_date: str
    scope: str
    seed_signature: str
    payload_hash: str                    # hex (the caller checks the body against it) or a literal form


def parse(request: Signed) -> Credentials | None:
    """The request's credentials; None for an anonymous request."""
    params = dict(query_pairs(request.query))
    auth = request.headers.get("authorization")
    presigned = any(name in params for name in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"))
    if auth is not None and presigned:
        raise InvalidArgument("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter "
                              "or the Authorization header should be specified")
    if auth is not None:
        return _from_header(auth, request.headers)
    if "AWSAccessKeyId" in params and "Signature" in params:
        raise InvalidRequest(f"Signature Version 2 is not supported: please use {ALGORITHM} "
                             "(boto3: Config(signature_version='s3v4')).")
    return _from_query(params) if presigned else None


def check(request: Signed, credentials: Credentials, secret_key: str, region: str | None,
          now: datetime, max_skew: int = MAX_SKEW, service: str = SERVICE) -> Verified:
    """Raise the error S3 would, or answer the verified request (``region`` None: any region)."""
    _check_scope(credentials, region, service)
    _check_time(credentials, now, max_skew)
    _check_all_signed(request, credentials)
    payload = request.payload_hash or (UNSIGNED_PAYLOAD if credentials.presigned else EMPTY_SHA256)
    if payload not in PAYLOAD_FORMS and not re.fullmatch(r"[0-9a-f]{64}", payload):
        raise InvalidArgument("x-amz-content-sha256 must be a SHA-256 in hex or one of " + ", ".join(PAYLOAD_FORMS))
    canonical = canonical_request(request, credentials.signed_headers, payload, credentials.presigned)
    key = signing_key(secret_key, credentials.date, credentials.region, credentials.service)
    expected = sign(key, string_to_sign(credentials.amz_date, credentials.scope, canonical))
    if not hmac.compare_digest(expected, credentials.signature):
        raise SignatureDoesNotMatch()
    return Verified(credentials.access_key, key, credentials.amz_date, credentials.scope, expected, payload)


def canonical_request(request: Signed, signed_headers, payload_hash: str, presigned: bool = False) -> str:
    """AWS's CanonicalRequest, as S3 builds it."""
    drop = ("X-Amz-Signature",) if presigned else ()
    pairs = sorted((uri_encode(n), uri_encode(v)) for n, v in query_pairs(request.query) if n not in drop)
    names = sorted(signed_headers)
    headers = "".join(f"{name}:{_header_value(request.headers, name)}\n" for name in names)
    return "\n".join([request.method.upper(), canonical_uri(request.path), "&".join(f"{n}={v}" for n, v in pairs),
                      headers, ";".join(names), payload_hash])


def canonical_uri(raw_path: str) -> str:
    """Decoded once and encoded again by AWS's rule: no normalisation, ``/`` kept."""
    return uri_encode(_unquote(raw_path or "/"), safe="/")


def uri_encode(text: str, safe: str = "") -> str:
    """Every byte but ``A-Za-z0-9-._~`` (and ``safe``) as %XX, upper-case hex."""
    return quote(text, safe=safe, errors="surrogateescape")


def query_pairs(query: str) -> list[tuple[str, str]]:
    """The decoded (name, value) pairs of a raw query string; '+' is a space, as in a form."""
    pairs = []
    for piece in filter(None, query.split("&")):
        name, _, value = piece.partition("=")
        pairs.append((_unquote(name.replace("+", " ")), _unquote(value.replace("+", " "))))
    return pairs


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    """What is signed: the algorithm, the time, the scope and the canonical request's SHA-256."""
    return "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    """kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")."""
    key = ("AWS4" + secret_key).encode()
    for part in (date, region, service, TERMINATOR):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def sign(key: bytes, text: str) -> str:
    """HMAC-SHA256 in lower-case hex: a signature."""
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _from_header(value: str, headers: dict) -> Credentials:
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise InvalidRequest(f"The authorization mechanism you have provided is not supported: use {ALGORITHM}.")
    fields = dict(part.strip().partition("=")[::2] for part in rest.split(","))
    if not all(fields.get(name) for name in ("Credential", "SignedHeaders", "Signature")):
        raise AuthorizationHeaderMalformed("The header needs Credential, SignedHeaders and Signature.")
    access_key, date, region, service = _credential(fields["Credential"], AuthorizationHeaderMalformed)
    return Credentials(access_key, date, region, service, _names(fields["SignedHeaders"]),
                       fields["Signature"], _header_time(headers))


def _from_query(params: dict) -> Credentials:
    error = AuthorizationQueryParametersError
    if not all(params.get(name) for name in PRESIGN_PARAMS):
        raise error("Query-string authentication version 4 requires the " + ", ".join(PRESIGN_PARAMS) +
                    " parameters.")
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise error(f'X-Amz-Algorithm only supports "{ALGORITHM}"')
    if not re.fullmatch(r"[0-9]{1,9}", params["X-Amz-Expires"]):
        raise error("X-Amz-Expires should be a number")
    if int(params["X-Amz-Expires"]) > MAX_EXPIRES:
        raise error(f"X-Amz-Expires must be less than a week (in seconds) that is; {MAX_EXPIRES}")
    if _amz_time(params["X-Amz-Date"]) is None:
        raise error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    access_key, date, region, service = _credential(params["X-Amz-Credential"], error)
    return Credentials(access_key, date, region, service, _names(params["X-Amz-SignedHeaders"]),
                       params["X-Amz-Signature"], params["X-Amz-Date"], True, int(params["X-Amz-Expires"]))


def _credential(value: str, error) -> tuple[str, str, str, str]:
    parts = value.strip().rsplit("/", 4)       # from the right: the scope's four parts are fixed
    if len(parts) != 5 or not parts[0] or parts[4] != TERMINATOR or not re.fullmatch(r"\d{8}", parts[1]):
        raise error(f"Error parsing the Credential: {value[:120]!r} is not "
                    "<access key>/<yyyymmdd>/<region>/<service>/aws4_request")
    return parts[0], parts[1], parts[2], parts[3]


def _names(value: str) -> tuple[str, ...]:
    return tuple(name.strip().lower() for name in value.split(";") if name.strip())


def _header_time(headers: dict) -> str:
    """The request time, from x-amz-date or else Date, in the form the string to sign uses."""
    if "x-amz-date" in headers:
        when = _amz_time(headers["x-amz-date"].strip())
    else:
        try:
            when = parsedate_to_datetime(headers["date"]).astimezone(timezone.utc)
        except (KeyError, TypeError, ValueError):
            when = None
    if when is None:
        raise AccessDenied("AWS authentication requires a valid Date or x-amz-date header")
    return when.strftime(AMZ_DATE)


def _amz_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, AMZ_DATE).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _check_scope(credentials: Credentials, region: str | None, service: str) -> None:
    error = AuthorizationQueryParametersError if credentials.presigned else AuthorizationHeaderMalformed
    if credentials.date != credentials.amz_date[:8]:
        raise error(f"Invalid credential date {credentials.date!r}: it is not the date of the request.")
    if region is not None and credentials.region != region:
        raise error(f"The region {credentials.region[:60]!r} is wrong; expecting {region!r}")
    if credentials.service != service:
        raise error(f"The credential names the service {credentials.service[:60]!r}; this is {service!r}")


def _check_time(credentials: Credentials, now: datetime, max_skew: int) -> None:
    now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)      # a naive clock means UTC
    offset = (_amz_time(credentials.amz_date) - now).total_seconds()   # > 0: from the future
    if not credentials.presigned:
        if abs(offset) > max_skew:
            raise RequestTimeTooSkewed()
    elif offset > max_skew:
        raise AccessDenied("Request is not valid yet")
    elif -offset >= credentials.expires:                    # X-Amz-Expires=0 has always expired
        raise RequestExpired()


def _check_all_signed(request: Signed, credentials: Credentials) -> None:
    unsigned = [name for name in request.headers if MUST_SIGN.fullmatch(name)
                and name not in credentials.signed_headers and name not in UNSIGNED_OK]
    if unsigned:
        raise AccessDenied("There were headers present in the request which were not signed: " +
                           ", ".join(sorted(unsigned))[:200])


def _header_value(headers: dict, name: str) -> str:
    """Trimmed, runs of white space made one space; a signed Expect a proxy dropped is 100-continue."""
    value = headers.get(name, "100-continue" if name == "expect" else "")
    return " ".join(value.split())


def _unquote(text: str) -> str:
    """Percent-decoded; bytes that are not UTF-8 survive the round trip (surrogateescape)."""
    return unquote_to_bytes(text).decode("utf-8", "surrogateescape")
