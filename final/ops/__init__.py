"""The ops wing (final/, issue 23): what an operator watches a running store with.

New: ``GET /metrics`` on every api and data server (Prometheus text: requests by route, method and
status with their latency, bytes in and out, locates, Elasticsearch calls, shards repaired,
heartbeats, live data servers, container bytes and compactions: ``metrics``); request ids
(``X-Request-Id``, passed on every hop to the data servers) and one access-log line per request
(``access``); ``LOG_FORMAT=json``, one JSON object per log line, gunicorn's too (``logs``).
Changed: nothing of another wing; the composition roots put ``access.install`` in front of their
apps and measured mixins in front of their locator, heartbeat list and compactor; the entry
points call ``logs.setup_logging(config)`` first.
Reused: chapter 2's ``HOP_HEADERS`` and ``HopPool`` (the seam every hop and pool goes through),
chapter 1's ``GUNICORN`` settings key and ``setup_logging``; prometheus_client.
"""
