"""S3's names of the gateway's operations (``GetObject``, ``PutObject`` …), for metrics and logs.

An S3 request's route label in the api server's metrics and access log is its operation, a bounded
set, never its path (a bucket or key in a label would make a series per object). ``name`` reads
it from the request as sent, before authentication, so a refused call is labelled too. The keys
are the gateway's ``ROUTES`` keys (a test checks that each route has a name here).
"""
OPERATION = "final.operation"        # WSGI environ key the gateway writes and final/ops reads
UNKNOWN = "Unknown"                  # an S3 request no route answers (MethodNotAllowed, NotImplemented…)

OPERATIONS = {  # (method, bucket given, key given, subresource) -> S3's name
    ("GET", False, False, None): "ListBuckets",
    ("PUT", True, False, None): "CreateBucket",
    ("HEAD", True, False, None): "HeadBucket",
    ("DELETE", True, False, None): "DeleteBucket",
    ("GET", True, False, "location"): "GetBucketLocation",
    ("GET", True, False, "acl"): "GetBucketAcl",
    ("PUT", True, False, "acl"): "PutBucketAcl",
    ("GET", True, False, None): "ListObjects",
    ("POST", True, False, "delete"): "DeleteObjects",
    ("PUT", True, True, None): "PutObject",
    ("GET", True, True, None): "GetObject",
    ("HEAD", True, True, None): "HeadObject",
    ("DELETE", True, True, None): "DeleteObject",
    ("GET", True, True, "acl"): "GetObjectAcl",
    ("PUT", True, True, "acl"): "PutObjectAcl",
    ("GET", True, False, "uploads"): "ListMultipartUploads",
    ("POST", True, True, "uploads"): "CreateMultipartUpload",
    ("PUT", True, True, "uploadId"): "UploadPart",
    ("GET", True, True, "uploadId"): "ListParts",
    ("DELETE", True, True, "uploadId"): "AbortMultipartUpload",
    ("POST", True, True, "uploadId"): "CompleteMultipartUpload",
    ("GET", True, False, "lifecycle"): "GetBucketLifecycleConfiguration",
    ("PUT", True, False, "lifecycle"): "PutBucketLifecycleConfiguration",
    ("DELETE", True, False, "lifecycle"): "DeleteBucketLifecycle",
    ("GET", True, False, "notification"): "GetBucketNotificationConfiguration",
    ("PUT", True, False, "notification"): "PutBucketNotificationConfiguration",
}
COPIES = {"PutObject": "CopyObject", "UploadPart": "UploadPartCopy"}     # with x-amz-copy-source


def name(method: str, path: str, query, params: set, headers) -> str:
    """The S3 operation of a request (``UNKNOWN`` when none fits); ``path`` as in PATH_INFO,
    ``params`` the subresources named in ``query``."""
    bucket, _, key = path[1:].partition("/")
    if len(params) > 1:
        return UNKNOWN
    operation = OPERATIONS.get((method, bool(bucket), bool(key), next(iter(params), None)), UNKNOWN)
    if operation in COPIES and "x-amz-copy-source" in headers:
        return COPIES[operation]
    if operation == "ListObjects" and query.get("list-type") == "2":
        return "ListObjectsV2"
    return operation
