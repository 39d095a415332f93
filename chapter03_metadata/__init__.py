"""Chapter 3: metadata and versions in Elasticsearch (book §3.3, §4.3).

New: ``common.es`` (the metadata client: versions allocated without duplicates, read-after-write
through a per-name head record, JSON-body queries only, ``search_after`` paging), ``common.digest``
(the ``Digest`` header and the hash forms, the one rule for content keys), ``api_server.versions``
(``GET /versions/``), ``api_server.store`` (``Objects`` grows ``store``, ``store_content``, ``find``,
``open``, ``delete``: content under its hash, verified while it streams, and versions).
Changed: ``api_server.objects.ObjectsView`` overrides chapter 2's ``put`` (needs a ``Digest``) and
``get`` (``?version=N``), and adds ``delete`` (a tombstone version); names may hold ``/`` now
that they are only metadata; the app's ``Parts`` add ``metadata``.
Reused: the data server is chapter 2's, unchanged; heartbeats, locate and streams are chapter 2's.
Fixes D6 (chapter 3 part), D9, D15.
"""
