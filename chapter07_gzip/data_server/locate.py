"""The chapter 7 locate listener: chapter 5's reply, plus the shards of the packed form.

The plain shards keep the book's ``{"Addr", "Id"}`` (and ``"Ids"``); a server that holds shards
of the object's packed form (``<key>.p.<i>``) lists their indexes in ``"Packed"``.
"""
from chapter05_erasure.data_server.locate import LocateListener as ShardLocateListener
from chapter07_gzip.common.forms import PACKED


class LocateListener(ShardLocateListener):
    def answer(self, name):
        reply = super().answer(name)
        packed = sorted(self.store.shards(name, PACKED)) if isinstance(name, str) else []
        if packed:
            reply = {k: v for k, v in reply.items() if k != "Found"}
            reply["Packed"] = packed
        return reply
