"""Chapter 8: maintenance that never deletes live data (book §4.8).

New: ``config`` (``ORPHAN_GRACE``, ``GARBAGE_RETENTION``), the data server's ``DELETE
/objects/<key>`` (its shards move to ``garbage/``), and three tools run by hand or from cron:
``delete_old_metadata`` (keep each name's 5 newest versions), ``delete_orphan_object`` (move
unreferenced shards to garbage, purge old garbage) and ``object_scanner`` (check every object a
data server holds shards of, rebuild what is missing). ``common.es`` adds the maintenance queries
(a paged composite aggregation, exact ``term`` counts); ``common.tool`` the tools' frame.
Reused: the api server is chapter 7's, unchanged; the scanner is built from chapter 7's api
``Parts`` (heartbeat listener, locator, the ``Objects`` pipeline, which unpacks packed objects)
with a shard stream whose repairs are committed before it ends.
Fixes D2, D12 (garbage), D15 (tombstones kept), D16, D20 (all names, real version lists).
"""
