"""Chapter 6: resumable upload and ranged download (book §3.4 resumable, §4.6).

New: ``common.token`` (signed, expiring upload tokens), ``common.resumable`` (an upload spread over
six temp shards that survives across requests and api servers), ``api_server.temp``
(``HEAD``/``PUT /temp/<token>``), ``common.ranges`` (RFC 9110 byte ranges); on data servers
``HEAD``/``GET /temp/<uuid>``, ``PATCH`` at an offset and a sweeper of abandoned temps.
Changed: the api ``ObjectsView`` adds ``post`` (open an upload) and overrides ``get`` (ranges);
chapter 5's ``RSGetStream`` is subclassed to start at the block holding the first byte wanted.
Reused: everything else, from chapters 2-5. Fixes D1, D7, D12, D13 (seek), D17 (ranges), D21.
"""
