"""final/web: the web view at ``/ui/`` of every api server (issue 22).

New: sign-in with an S3 user's keys (``auth``: a signed HttpOnly SameSite session, Flask-WTF's CSRF
tokens on every state-changing request, a strict Content-Security-Policy: ``site``); buckets and
objects (``browse``: listing with folders and pages, an object's versions, ETag, SHA-256 and its
shard map: where each of its six shards or three replicas is, and whether it is whole; upload with
a progress bar, multipart past 8 MiB; download; delete); the cluster's cards, polled every second,
and a live feed of events as server-sent events (``live``); the servers as the page sees them
(``cluster``: heartbeat ages, api servers beating to each other on ``apiPeers``, data servers'
disks from their ``/healthz``) and the feed itself (``events``: ``objectEvents`` on RabbitMQ).
Templates are Jinja's (autoescaped); the live parts are htmx and its SSE extension, shipped in
``static/vendor`` (``scripts/web_assets.sh`` checks them against the npm registry).
Changed: nothing of chapter 8; the S3 wing's gateway tells the feed of objects created and removed
(``Gateway.perform``, which the pages call too), and the containers wing tells it of shards a GET
rewrites.
Reused: the S3 wing's store, users, ACL checks and operations (a page is an S3 call as the signed-in
user), chapter 2's live data servers (``WatchedServers`` extends them) and its RabbitMQ worker.
"""
