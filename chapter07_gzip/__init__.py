"""Chapter 7: gzip at rest and on download (book §4.7).

New: data servers store a shard gzip-compressed (ISA-L's codec, level ``GZIP_LEVEL``) when that
makes it smaller, named ``<shard file>.gz``; ``common.encoding`` parses ``Accept-Encoding``.
Changed: the data server's ``ShardStore`` reads both kinds, ``ShardsView`` sends the uncompressed
bytes (checked per block as in chapter 5), the temp store compresses at commit; the api
``ObjectsView.send_object`` gzips a whole-object download for clients that accept it.
Reused: everything else, chapter 6's resumable temps included (D3: the book's chapter 7 lost them).
Fixes D3, D17 (gzip), D19.
"""
