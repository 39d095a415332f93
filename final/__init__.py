"""final/: the integrated store, one floor above chapter 8 (STYLE.md §6).

Chapter 8's servers and tools, unchanged where they need not change, plus what a real object store
needs, laid out by wings; only the two ``app.py`` (composition roots) put wings together.

Wings:
- ``containers``: QingStor's small-file containers (issue 19). Data servers keep objects of at most
  ``SMALL_OBJECT_LIMIT`` bytes whole, as records of append-only container files (group commit,
  saved index, delete marks, online compaction); the api keeps each small object as three
  replicas on three data servers and records them in its version, so a GET needs no locate.
- ``catalog``: buckets, S3 keys (chapter 3's versions of ``<bucket>/<key>`` in ``<ES_INDEX>-s3``,
  listed by prefix and delimiter) and ACLs, in Elasticsearch (issue 20); multipart uploads and
  their parts (issue 21).
- ``s3``: the S3 API on the api servers (issue 20): path-style routing beside the book's routes,
  SigV4 (headers, presigned URLs, ``aws-chunked`` bodies), S3's XML, bucket and object operations
  over the ``Objects`` pipeline and the catalog; multipart upload, whose Complete moves no byte
  (issue 21).
- ``cli``: ``objstore``, the command-line client (issue 21): parallel transfers that resume.
- ``events``: S3's event JSON on RabbitMQ's ``objectEvents`` for every object created or removed
  (issue 23), buckets' notification configurations (webhooks, ``WEBHOOK_ALLOWED_HOSTS`` only), and
  ``python -m final.notifier``, which POSTs them at least once, in order per key. The catalog keeps
  the buckets' lifecycle rules (``catalog.lifecycle``), applied by ``python -m final.lifecycle``.
- ``ops``: what an operator watches (issue 23): ``GET /metrics`` on every server (Prometheus text:
  requests by route, method and status with latency, bytes, locates, Elasticsearch calls, repairs,
  heartbeats, live servers, container bytes, compactions), request ids passed on every hop to the
  data servers (chapter 2's ``HOP_HEADERS`` seam), an access-log line per request, and
  ``LOG_FORMAT=json`` for every entry point.
- ``web``: the web view at ``/ui/`` (issue 22): sign-in with S3 keys, buckets and objects with
  each object's shard map, uploads with a progress bar, the cluster's servers live, and a feed of
  events (server-sent events over RabbitMQ's ``objectEvents``).

Entry points (interfaces.md, "final/"): ``python -m final.data_server``, ``final.api_server``,
``final.delete_old_metadata``, ``final.delete_orphan_object``, ``final.object_scanner``,
``final.compact``, ``final.lifecycle``, ``final.notifier``; ``config`` adds ``SMALL_OBJECT_LIMIT``,
``CONTAINER_SIZE``, ``COMPACT_RATIO`` and ``COMPACT_INTERVAL``, the ``S3_*`` settings,
``MULTIPART_MIN_PART``, ``BOOK_API``, ``UI_SECRET_KEY``, ``LOG_FORMAT``, ``EVENTS``, ``LIFECYCLE_*``
and ``WEBHOOK_ALLOWED_HOSTS`` to chapter 8's settings; ``objstore`` (``python -m final.cli``).
Changed from chapter 8: the data server's store (``containers.server.ContainerShardStore``: shard
files and container records), its locate reply (``"Replica"``), the api's pipeline
(``containers.client.Objects``: small objects whole), locator (``containers.locate``) and metadata
client (``containers.metadata``: replicas recorded, lean document calls, batched versions); the
api server's every other path (``s3.gateway``), its ``/ui/`` (``web``: api servers beat to each other
on ``apiPeers``, the data servers' ``/healthz`` says their disks and ``/inventory/<key>`` what they hold
of an object: ``containers.inventory``); the tools learn about replicas, S3 keys and multipart parts
(``catalog.maintenance``), and ``delete_orphan_object`` expires stale uploads; the api server's
entry point caps glibc's malloc arenas; every entry point logs through ``ops.logs``.
Reused: everything else, from chapters 1-8.
"""
