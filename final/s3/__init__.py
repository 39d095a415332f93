"""The S3 wing (final/, issue 20): the S3 API on the api servers, beside the book's routes.

New: ``sigv4`` (AWS Signature Version 4: headers and presigned URLs), ``chunked`` (``aws-chunked``
bodies, signed chunks and trailing checksums), ``users`` (S3 users: ``S3_USERS_FILE``, or
``S3_ACCESS_KEY``/``S3_SECRET_KEY``), ``errors`` and ``xml`` (S3's error codes and documents),
``gateway`` (path-style routing, authentication, dispatch), ``buckets``, ``objects``, ``copy`` and
``delete`` (the operations), ``payload`` (a PUT's body: length, digests, the spool when its SHA-256
is not signed), ``conditions`` (``If-*``), ``acls`` (ACL headers and documents), ``listing``
(ListObjects v1 and v2), ``context`` (what a handler is given), ``multipart`` (multipart upload:
Create, UploadPart and UploadPartCopy, ListParts, ListMultipartUploads, Abort, Complete) and
``manifest`` (an object made of parts: its ETag, its reads across parts, ``partNumber``).
Changed: nothing of the chapters; the api server's composition root routes every path the book
API does not use to ``gateway``.
Reused: the ``Objects`` pipeline of final/ (content-addressed, deduplicated, Reed-Solomon 4+2,
small objects in containers) to store and read bytes; the catalog wing for buckets, keys and ACLs.
Imports no containers module.
"""
