"""S3's errors: a code, a status and a message, answered as S3's XML error document.

    <Error><Code>NoSuchKey</Code><Message>…</Message><Resource>/bucket/key</Resource>
           <RequestId>…</RequestId></Error>      (and the x-amz-request-id header, equal)

The store's own errors (chapters' ``StorageError``: 503 ServiceUnavailable, 502, 507 …) keep their
status and take S3's name where there is one.
"""
from chapter01_single.errors import StorageError

BY_STATUS = {400: "InvalidRequest", 403: "AccessDenied", 404: "NoSuchKey", 405: "MethodNotAllowed",
             409: "OperationAborted", 411: "MissingContentLength", 412: "PreconditionFailed",
             413: "EntityTooLarge", 416: "InvalidRange", 500: "InternalError", 501: "NotImplemented",
             502: "ServiceUnavailable", 503: "ServiceUnavailable", 507: "ServiceUnavailable"}

class S3Error(Exception):
    """An S3 error answer."""

    def __init__(self, code: str, message: str, status: int = 400, headers=()):
        super().__init__(message)
        self.code, self.status, self.headers = code, status, tuple(headers)


# -------------------------------------------------------------- refusals of the authentication

class SignatureError(S3Error):
    """A request the authentication refuses: ``code``, ``status`` and the default message are the
    class's (``sigv4`` and ``chunked`` raise these)."""
    code, status, message = "AccessDenied", 403, "Access Denied"

    def __init__(self, message: str | None = None):
        super().__init__(type(self).code, message or self.message, type(self).status)


class AccessDenied(SignatureError):
    pass


class RequestExpired(AccessDenied):
    message = "Request has expired"


class SignatureDoesNotMatch(SignatureError):
    code, message = "SignatureDoesNotMatch", "The request signature we calculated does not match yours."


class InvalidAccessKeyId(SignatureError):
    """Raised by the caller, which knows the users."""
    code, message = "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."


class RequestTimeTooSkewed(SignatureError):
    code, message = "RequestTimeTooSkewed", "The difference between the request time and ours is too large."


class AuthorizationHeaderMalformed(SignatureError):
    code, status, message = "AuthorizationHeaderMalformed", 400, "The authorization header is malformed."


class AuthorizationQueryParametersError(SignatureError):
    code, status, message = "AuthorizationQueryParametersError", 400, "The query authorization is malformed."


class InvalidRequest(SignatureError):
    code, status, message = "InvalidRequest", 400, "Invalid Request"


class InvalidArgument(SignatureError):
    code, status, message = "InvalidArgument", 400, "Invalid Argument"



def error(code: str, message: str | None = None) -> S3Error:
    """The S3 error ``code`` with its status (and S3's usual message unless one is given)."""
    status, default = CODES.get(code, (400, code))
    return S3Error(code, message or default, status)


def from_storage(failure: StorageError) -> S3Error:
    """A chapter error, as S3 would name it."""
    code = failure.code if failure.code in CODES else BY_STATUS.get(failure.status, "InternalError")
    status = 503 if failure.status == 502 else failure.status     # a bad data server: try again
    return S3Error(code, str(failure), status, failure.headers)


CODES = {
    "AccessDenied": (403, "Access Denied"),
    "BadDigest": (400, "The Content-MD5 you specified did not match what we received."),
    "BucketAlreadyExists": (409, "The requested bucket name is not available."),
    "BucketAlreadyOwnedByYou": (409, "Your previous request to create the named bucket succeeded and you "
                                     "already own it."),
    "BucketNotEmpty": (409, "The bucket you tried to delete is not empty"),
    "EntityTooLarge": (400, "Your proposed upload exceeds the maximum allowed object size."),
    "EntityTooSmall": (400, "Your proposed upload is smaller than the minimum allowed object size."),
    "IncompleteBody": (400, "You did not provide the number of bytes specified by the Content-Length "
                            "HTTP header."),
    "InvalidAccessKeyId": (403, "The AWS Access Key Id you provided does not exist in our records."),
    "InvalidArgument": (400, "Invalid Argument"),
    "InvalidBucketName": (400, "The specified bucket is not valid."),
    "InvalidDigest": (400, "The Content-MD5 you specified is not valid."),
    "InternalError": (500, "We encountered an internal error. Please try again."),
    "InvalidURI": (400, "Couldn't parse the specified URI."),
    "InvalidPart": (400, "One or more of the specified parts could not be found."),
    "InvalidPartNumber": (416, "The requested partnumber is not satisfiable"),
    "InvalidPartOrder": (400, "The list of parts was not in ascending order. Parts must be ordered by part number."),
    "InvalidRange": (416, "The requested range is not satisfiable"),
    "InvalidRequest": (400, "Invalid Request"),
    "KeyTooLongError": (400, "Your key is too long"),
    "MalformedXML": (400, "The XML you provided was not well-formed or did not validate against our "
                          "published schema"),
    "MetadataTooLarge": (400, "Your metadata headers exceed the maximum allowed metadata size"),
    "MethodNotAllowed": (405, "The specified method is not allowed against this resource."),
    "MissingContentLength": (411, "You must provide the Content-Length HTTP header."),
    "NoSuchBucket": (404, "The specified bucket does not exist"),
    "NoSuchKey": (404, "The specified key does not exist."),
    "NoSuchLifecycleConfiguration": (404, "The lifecycle configuration does not exist"),
    "NoSuchUpload": (404, "The specified upload does not exist."),
    "NotImplemented": (501, "A header or query you provided implies functionality that is not implemented"),
    "PreconditionFailed": (412, "At least one of the pre-conditions you specified did not hold"),
    "RequestTimeTooSkewed": (403, "The difference between the request time and the server's time is too "
                                  "large."),
    "SignatureDoesNotMatch": (403, "The request signature we calculated does not match the signature you "
                                   "provided."),
    "XAmzContentSHA256Mismatch": (400, "The provided 'x-amz-content-sha256' header does not match what was "
                                       "computed."),
    "ServiceUnavailable": (503, "Please reduce your request rate."),
}
