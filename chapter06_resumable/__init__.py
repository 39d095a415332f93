"""Chapter 6: resumable upload and ranged download (book §3.4 resumable, §4.6).

New: ``config`` (``UPLOAD_TTL``, ``UPLOAD_SECRET``), ``common.token`` (signed, expiring upload
tokens), ``common.resumable`` (an upload spread over six temp shards that survives across requests
and api servers; ``RunningHashes``), ``common.headers`` (the temp protocol's version headers),
``common.ranges`` (RFC 9110 byte ranges), ``api_server.uploads`` (opens uploads, turns tokens back
into them, shares the token secret), ``api_server.temp`` (``HEAD``/``PUT /temp/<token>``); on data
servers ``HEAD``/``GET /temp/<uuid>``, ``PATCH`` at an offset, temp versions and a sweeper.
Changed: the api pipeline (``api_server.store``) overrides chapter 5's ``open`` (a span reads only
the blocks it needs, ``RangedGetStream``) and adds ``finish_upload``; the view adds ``post`` and
overrides chapter 3's ``send`` (206 with ``Content-Range``); the app's ``Parts`` add ``uploads``.
Reused: everything else, from chapters 2-5. Fixes D1, D7, D12, D13 (seek), D17 (ranges), D21.
"""
