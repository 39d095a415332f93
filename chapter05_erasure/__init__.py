"""Chapter 5: erasure coding, Reed-Solomon 4+2 (book §3.4, §4.5, §7.1, §7.2).

New: ``common.rs`` (the codec: GF(2^8) with 0x11D and the klauspost matrix, and a plain-Python
reference), ``common.shards`` (``RSPutStream``: six shard uploads in parallel, all committed or all
dropped; ``RSGetStream``: any four shards, repair on the side); on data servers ``ShardStore``
(shard files with per-block CRC-32 checksums, several indexes per key), the shard GET that never
sends a corrupt block, and the shard-aware locate reply.
Skip on first reading (speed only): ``common.isal_ec`` (the matrix applied by ISA-L), the numpy
table path of ``rs``, ``common.fetch`` (shard GETs written together on kept connections).
Changed: the api pipeline (``api_server.store``) overrides chapter 4's ``has_content`` and
``put_new`` and chapter 3's ``open`` (``read`` from any four shards, ``repair_target``); the view is
chapter 3's; ``Search`` collects ``{shard index: address}``; the data-server temp commit names a
shard by its own hash and writes its checksums.
Reused: chapter 4's temp protocol and content store, chapter 3's versions, chapter 2's messaging.
Fixes D4, D5, D13, D14.
"""
