"""The chapter 5 locate listener: which shards of an object this server holds (book §4.5).

The reply keeps the book's shape ``{"Addr": <address>, "Id": <shard index>}``; a server holding
several shards of one object (possible after concurrent uploads or repairs) adds ``"Ids": [...]``
with all of them, in the same single reply. "Not here" is chapter 4's ``{"Addr", "Found": false}``.
"""
from chapter04_dedup.data_server.locate import LocateListener as KeyLocateListener


class LocateListener(KeyLocateListener):
    def answer(self, name):
        indexes = sorted(self.store.shards(name)) if isinstance(name, str) else []
        if not indexes:
            return {"Addr": self.address, "Found": False}
        reply = {"Addr": self.address, "Id": indexes[0]}
        if len(indexes) > 1:
            reply["Ids"] = indexes
        return reply
