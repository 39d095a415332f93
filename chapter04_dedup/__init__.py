"""Chapter 4: content addressing, verification and deduplication (book §3.2, §4.4).

New: the data server's temp objects (``data_server.temp``: ``POST/PATCH/PUT/DELETE /temp/``) and
content-addressed ``objects/`` (``data_server.objects``: startup scan, locate set, hash-checked
GET), ``common.temp`` (the api's client for temp objects, every status checked).
Changed: the data server's locate listener also answers "not here", and the api's ``Search``
ends as soon as every live data server has answered; the api pipeline (``api_server.store``)
overrides chapter 3's ``Objects.store_content``: dedup with proof of possession (``has_content``),
else temp + verify + commit (``put_new``). The api's view is chapter 3's, unchanged.
Reused: chapter 3's versions, metadata and digest code; chapter 2's heartbeats and streams.
Fixes D5, D6, D8, D13, D14, D20 (as far as chapter 4 reaches).
"""
