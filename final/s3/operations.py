"""S3's names of the gateway's operations (``GetObject``, ``PutObject`` …), for metrics and logs.

An S3 request's route label in the api server's metrics and access log is its operation, a bounded
set, never its path (a bucket or key in a label would make a series per object). ``name`` reads
it from the request as sent, before authentication, so a refused call is labelled too. The keys
are the gateway's ``ROUTES`` keys (a test checks that each route has a name here).
"""
OPERATION = "final.operation"        # WSGI environ key the gateway writes and final/ops reads
REQUEST_ID = "final.request_id"      # WSGI environ key final/ops writes (the request's id) and the gateway answers
UNKNOWN = "Unknown"                  # an S3 request no route answers (MethodNotAllowed, NotImplemented…)

_TABLE = """
    GET  /             ListBuckets          PUT  /b/k           PutObject
    PUT  /b            CreateBucket         GET  /b/k           GetObject
    HEAD /b            HeadBucket           HEAD /b/k           HeadObject
    DELETE /b          DeleteBucket         DELETE /b/k         DeleteObject
    GET  /b?location   GetBucketLocation    GET  /b/k?acl       GetObjectAcl
    GET  /b?acl        GetBucketAcl         PUT  /b/k?acl       PutObjectAcl
    PUT  /b?acl        PutBucketAcl         GET  /b?uploads     ListMultipartUploads
    GET  /b            ListObjects          POST /b/k?uploads   CreateMultipartUpload
    POST /b?delete     DeleteObjects        PUT  /b/k?uploadId  UploadPart
    GET  /b?lifecycle  GetBucketLifecycleConfiguration   GET  /b/k?uploadId     ListParts
    PUT  /b?lifecycle  PutBucketLifecycleConfiguration   DELETE /b/k?uploadId   AbortMultipartUpload
    DELETE /b?lifecycle  DeleteBucketLifecycle           POST /b/k?uploadId     CompleteMultipartUpload
    GET  /b?notification  GetBucketNotificationConfiguration
    PUT  /b?notification  PutBucketNotificationConfiguration
"""  # method, target (/b: a bucket, /b/k: a key; ?subresource), S3's name; two to a line


def _parse(table: str) -> dict:
    """``_TABLE`` as {(method, bucket given, key given, subresource): name}."""
    words = table.split()
    found = {}
    for method, target, operation in zip(words[0::3], words[1::3], words[2::3]):
        path, _, subresource = target.partition("?")
        found[method, path != "/", path.count("/") == 2, subresource or None] = operation
    return found


OPERATIONS = _parse(_TABLE)  # (method, bucket given, key given, subresource) -> S3's name
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
