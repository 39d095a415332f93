"""Chapter 7: gzip at rest and on download (book §4.7).

New: ``config`` (``GZIP_LEVEL``); data servers store a shard gzip-compressed (ISA-L, level
``GZIP_LEVEL``) when that makes it smaller, named ``<shard file>.gz``; ``common.encoding`` parses
``Accept-Encoding``, gzips downloads on the fly and tells what is worth compressing;
``common.packed`` gzips a whole object before it is erasure-coded when it compresses (beyond the
book: only then do the parity shards shrink); ``common.es`` (versions that record whether their
content is packed, ``PackedVersion``); the data server's ``TempView.put`` takes the length a temp
ended at.
Changed: the data server's ``ShardStore`` reads both kinds, ``ShardsView`` sends the uncompressed
bytes (checked per block as in chapter 5), the temp store compresses at commit; the api pipeline
(``api_server.store``) swaps chapter 5's ``put_stream`` for ``PackedPutStream``, overrides
``form_of`` (records the packed length) and ``open`` (packed objects as stored or unpacked, plain
ones gzipped for clients that accept it); the view overrides chapter 6's ``open`` and ``send``.
Reused: everything else, chapter 6's resumable temps included (D3: the book's chapter 7 lost them).
Fixes D3, D17 (gzip), D19.
"""
