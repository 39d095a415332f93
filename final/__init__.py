"""final/: the integrated store, one floor above chapter 8 (STYLE.md §6).

Chapter 8's servers and tools, unchanged where they need not change, plus what a real object store
needs, laid out by wings; only the two ``app.py`` (composition roots) put wings together.

Wings:
- ``containers``: QingStor's small-file containers (issue 19). Data servers keep objects of at most
  ``SMALL_OBJECT_LIMIT`` bytes whole, as records of append-only container files (group commit,
  saved index, delete marks, online compaction); the api keeps each small object as three
  replicas on three data servers and records them in its version, so a GET needs no locate.

Entry points (interfaces.md, "final/"): ``python -m final.data_server``, ``final.api_server``,
``final.delete_old_metadata``, ``final.delete_orphan_object``, ``final.object_scanner``,
``final.compact``; ``config`` adds ``SMALL_OBJECT_LIMIT``, ``CONTAINER_SIZE``, ``COMPACT_RATIO`` and
``COMPACT_INTERVAL`` to chapter 8's settings.
Changed from chapter 8: the data server's store (``containers.server.ContainerShardStore``: shard
files and container records), its locate reply (``"Replica"``), the api's pipeline
(``containers.client.Objects``: small objects whole), locator (``containers.locate``) and metadata
client (``containers.metadata``: replicas recorded, lean document calls, batched versions); the
tools learn about replicas. Reused: everything else, from chapters 1-8.
"""
