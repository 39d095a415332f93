"""The catalog wing (final/, issue 20): buckets, keys and ACLs in Elasticsearch.

New: ``buckets`` (one document per bucket, read by id), ``keys`` (S3 keys as chapter 3's versions
of ``<bucket>/<key>``, in an index of their own, listed in UTF-8 binary order), ``acl`` (grants of
READ, WRITE, FULL_CONTROL… to users and groups, S3's canned ACLs), ``maintenance`` (the tools count
S3 keys' versions, and multipart parts, as references to content), ``uploads`` (multipart uploads
and their parts, states changed by compare-and-set).
Changed: final/'s metadata client is subclassed for S3's records (``keys.S3Version``: time, ETag,
headers, ACL).
Reused: chapter 3's versions and heads (versions allocated without duplicates, heads read in real
time), final/'s lean and batched Elasticsearch writes.
"""
