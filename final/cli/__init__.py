"""The command-line client (final/, issue 21): ``objstore``, for this store or any S3 endpoint.

New: ``main`` (the commands: mb, rb, ls, du, cat, presign, rm, cp, mv, sync; exit codes scripts can
trust; clear one-line errors), ``transfer`` (a multipart upload and a ranged download, both in
parallel, both resumed after an interruption and checked against the server's MD5s).
Changed: nothing of the chapters or of the servers.
Reused: boto3 (signing, retries, the S3 protocol), tqdm (progress bars). Imports nothing of the
server: it talks to it over HTTP only.
"""
