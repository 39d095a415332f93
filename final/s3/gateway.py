"""The S3 gateway: every path the book's routes do not use is an S3 request (path style).

``Gateway.install`` hooks it in front of Flask's routing (``before_request``), so S3 keys are read
from the raw path as sent (``a//b`` and ``x/`` are distinct keys, nothing is merged or redirected).
Each request gets a request id, is authenticated (SigV4 in the header or the query; neither:
anonymous, judged by ACLs), routed by method, bucket, key and subresource, and every failure is
answered as S3's XML error. A subresource this store does not implement is 501 ``NotImplemented``,
never an answer that pretends; ``BOOK_API=off`` answers the book's paths 404.
"""
import logging
import secrets
from datetime import datetime, timezone

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import ClientDisconnected

from chapter01_single.errors import StorageError
from chapter01_single.names import raw_path
from final.s3 import buckets, configuration, delete, listing, multipart, objects, operations, sigv4, xml
from final.s3.context import Call, Store
from final.s3.copy import copy
from final.s3.errors import InvalidAccessKeyId, S3Error, error, from_storage

log = logging.getLogger(__name__)

ALWAYS = ("healthz", "ui")                # the book's paths kept with BOOK_API=off (and the web view's)
PARAMETERS = {"prefix", "delimiter", "marker", "max-keys", "encoding-type", "list-type", "continuation-token",
              "start-after", "fetch-owner", "x-id", *objects.OVERRIDES, *sigv4.PRESIGN_PARAMS,
              "X-Amz-Security-Token", "partNumber", "max-parts", "part-number-marker", "max-uploads", "key-marker",
              "upload-id-marker"}
SUBRESOURCES = {"acl", "location", "delete", "uploads", "uploadId", "lifecycle", "notification"}
MAX_HEADERS = 8192                        # bytes of headers, as S3 allows
# A stored page a browser opens runs in an origin of its own (its scripts still run): it shares this
# server's origin with the web view (/ui/), whose pages it must never read nor act on as their user.
STORED_CONTENT = "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads"

ROUTES = {  # (method, bucket given, key given, subresource) -> handler
    ("GET", False, False, None): buckets.list_buckets,
    ("PUT", True, False, None): buckets.create,
    ("HEAD", True, False, None): buckets.head,
    ("DELETE", True, False, None): buckets.delete,
    ("GET", True, False, "location"): buckets.location,
    ("GET", True, False, "acl"): buckets.get_acl,
    ("PUT", True, False, "acl"): buckets.put_acl,
    ("GET", True, False, None): listing.list_objects,
    ("POST", True, False, "delete"): delete.delete_objects,
    ("PUT", True, True, None): objects.put,
    ("GET", True, True, None): objects.get,
    ("HEAD", True, True, None): lambda store, call: objects.get(store, call, body=False),
    ("DELETE", True, True, None): objects.delete,
    ("GET", True, True, "acl"): objects.get_acl,
    ("PUT", True, True, "acl"): objects.put_acl,
    ("GET", True, False, "uploads"): multipart.list_uploads,
    ("POST", True, True, "uploads"): multipart.create,
    ("PUT", True, True, "uploadId"): multipart.upload_part,
    ("GET", True, True, "uploadId"): multipart.list_parts,
    ("DELETE", True, True, "uploadId"): multipart.abort,
    ("POST", True, True, "uploadId"): multipart.complete,
    ("GET", True, False, "lifecycle"): configuration.get_lifecycle,
    ("PUT", True, False, "lifecycle"): configuration.put_lifecycle,
    ("DELETE", True, False, "lifecycle"): configuration.delete_lifecycle,
    ("GET", True, False, "notification"): configuration.get_notification,
    ("PUT", True, False, "notification"): configuration.put_notification,
}



class Gateway:
    """S3 in front of an api server's book routes; ``notify(call, source_ip)`` is told of each
    successful call that created or removed objects (``call.events``)."""

    def __init__(self, store: Store, book_api: bool = True, clock=lambda: datetime.now(timezone.utc), notify=None):
        self.store, self.book_api, self.clock, self.notify = store, book_api, clock, notify
        self.book_paths: set[str] = set()

    def install(self, app: Flask) -> None:
        self.book_paths = {rule.rule.split("/")[1] for rule in app.url_map.iter_rules()}
        app.before_request(self.before_request)

    def before_request(self):
        first = request.path.split("/")[1]
        if first in self.book_paths and self.is_book(request.path, first):
            if self.book_api or first in ALWAYS:
                return None                   # the book's route
            return jsonify(error="NotFound", message="the book API is off (BOOK_API=off)"), 404
        return self.serve()

    @staticmethod
    def is_book(path: str, first: str) -> bool:
        """``/objects/…`` is the book's; ``PUT /objects`` is CreateBucket (refused: a reserved name)."""
        return path.startswith(f"/{first}/") or (path == f"/{first}" and request.method in ("GET", "HEAD")
                                                 and first in ALWAYS)

    def serve(self) -> Response:
        request_id = request.environ.get(operations.REQUEST_ID) or secrets.token_hex(8).upper()
        request.environ[operations.OPERATION] = operations.name(
            request.method, request.environ.get("PATH_INFO", ""), request.args,
            set(request.args) & SUBRESOURCES, request.headers)
        resource = request.path
        try:
            call = self.call(request_id)
            response = self.perform(call)
        except S3Error as failure:
            response = answer(failure, resource, request_id)
        except ClientDisconnected:
            response = answer(error("IncompleteBody"), resource, request_id)
        except StorageError as failure:
            response = answer(from_storage(failure), resource, request_id)
        except Exception:
            log.exception("unexpected error in %s %s", request.method, resource)
            response = answer(error("InternalError", "We encountered an internal error. Please try again."),
                              resource, request_id)
        response.headers["x-amz-request-id"] = request_id
        if request.method == "GET" and response.status_code < 300:
            response.headers.setdefault("Content-Security-Policy", STORED_CONTENT)
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    def call(self, request_id: str) -> Call:
        """The request as S3 sees it, authenticated (or anonymous)."""
        if sum(len(k) + len(v) + 4 for k, v in request.headers.items()) > MAX_HEADERS:
            raise S3Error("RequestHeaderSectionTooLarge", "Your request header section exceeds the maximum "
                          "allowed size.", 400)
        try:
            path = request.path
        except UnicodeError:
            raise error("InvalidURI", "Couldn't parse the specified URI.") from None
        bucket, _, key = path[1:].partition("/")
        query = request.args.to_dict()
        user, verified = self.authenticate()
        call = Call(request.method, bucket, key, query, request.headers, user, request_id, path,
                    request.stream, request.content_length, set(query) & SUBRESOURCES)
        call.verified = verified
        return call

    def authenticate(self):
        """(user, ``sigv4.Verified``), (None, None) for an anonymous request."""
        signed = sigv4.Signed.of(request.method, raw_path(request.environ),
                                 request.environ.get("QUERY_STRING", ""), request.headers.items())
        credentials = sigv4.parse(signed)
        if credentials is None:
            return None, None
        user = self.store.users.by_key.get(credentials.access_key)
        if user is None:
            raise InvalidAccessKeyId()
        return user, sigv4.check(signed, credentials, user.secret_key, self.store.region, self.clock())

    def perform(self, call: Call) -> Response:
        """One S3 operation (the web view calls this too); an object created or removed is told."""
        response = self.route(call)(self.store, call)
        if call.events and self.notify is not None and response.status_code < 300:
            self.notify(call, request.remote_addr or "")
        return response

    def route(self, call: Call):
        """The handler of ``call`` (S3's errors when there is none)."""
        unknown = [name for name in call.query if name not in PARAMETERS and name not in SUBRESOURCES]
        if unknown:
            raise error("NotImplemented", f"{unknown[0][:60]!r} is not implemented by this store")
        if len(call.params) > 1:
            raise error("InvalidRequest", "one subresource at a time")
        subresource = next(iter(call.params), None)
        handler = ROUTES.get((call.method, bool(call.bucket), bool(call.key), subresource))
        if call.bucket and call.key and call.method == "PUT" and subresource is None \
                and "x-amz-copy-source" in call.headers:
            handler = copy
        if "partNumber" in call.query and call.method not in ("GET", "HEAD") and subresource != "uploadId":
            raise error("InvalidRequest", "partNumber is given with an uploadId (UploadPart)")
        if handler is None:
            raise error("MethodNotAllowed")
        return handler


def answer(failure: S3Error, resource: str, request_id: str) -> Response:
    """S3's error document (a HEAD's has no body: the status says it)."""
    if failure.status >= 500:
        log.warning("%s %s: %s %s", request.method, resource, failure.code, failure)
    body = xml.document("Error", [("Code", failure.code), ("Message", str(failure)), ("Resource", resource),
                                  ("RequestId", request_id)], namespace=False)
    response = Response(body, status=failure.status, mimetype="application/xml", headers=list(failure.headers))
    if request.method == "HEAD":
        response.headers["x-amz-error-code"] = failure.code
    return response
