"""The containers wing (final/, issue 19): small objects kept whole in container files.

New, on data servers: ``record`` (a record's layout and checks), ``scan`` (reading a container
through, damage found), ``writer`` (group commit), ``store`` (``ContainerStore``: files, index,
reads, deletes), ``snapshot`` (the saved index; start-up from it or from the containers alone),
``compaction``, ``views`` (``/containers/``, and a fast path before Flask), ``server`` (chapter 8's
shard store with the containers beside it, the locate reply, the background compactor).
New, on api servers: ``client`` (``Objects``: small objects as three replicas, read from one),
``locate`` (replicas found by locate), ``metadata`` (versions that record their replicas; lean,
batched Elasticsearch writes).
Changed: chapter 8's ``GarbageShardStore`` (pins and deletes reach container records), chapter 7's
locate reply and ``Search``, chapter 8's ``Objects`` and metadata client (subclassed).
Reused: chapter 5's ``ShardFetch`` (kept connections), chapter 3's ``VerifiedBody``, chapter 1's
``Durability`` (the same ``FSYNC`` switch).
Imports no other wing.
"""
