"""Chapter 5: erasure coding, Reed-Solomon 4+2 (book §3.4, §4.5, §7.1, §7.2).

New: ``common.rs`` (the codec: GF(2^8) with 0x11D and the klauspost matrix, fast path by ISA-L
(``common.isal_ec``) or numpy, and a plain-Python reference), ``common.shards`` (``RSPutStream``: six shard uploads in parallel, all
committed or all dropped; ``RSGetStream``: any four shards, the parity opened after the first
batch, repair on the side), ``common.fetch`` (shard GETs written together from one thread on kept
``http.client`` connections, answered in turn); on data servers
``ShardStore`` (shard files with per-block CRC-32 checksums, several indexes per key), the shard
GET that never sends a corrupt block, and the shard-aware locate reply.
Changed: the api ``ObjectsView`` overrides chapter 4's ``store_object`` and chapter 3's
``send_object``; ``Search`` collects ``{shard index: address}``; the data-server temp commit names
a shard by its own hash and writes its checksums.
Reused: chapter 4's temp protocol and content store, chapter 3's versions, chapter 2's messaging.
Fixes D4, D5, D13, D14.
"""
