"""``/objects/<name>`` over Reed-Solomon 4+2 shards (book §4.5).

Go: ``chapter5/apiServer/objects/{put_stream,get,get_stream}.go``. Overrides chapter 4's
``store_object`` (six distinct live servers or 503; the shards stream in parallel; all six commit
or none) and chapter 3's ``send_object`` (any four readable shards serve the GET, D4; missing or
corrupt shards are repaired on the side, onto their own server when it is alive, else onto a live
server holding no shard of the object).
"""
from typing import Iterable

from flask import Response

from chapter01_single.errors import BadRequest
from chapter03_metadata.api_server.objects import VerifiedBody
from chapter03_metadata.common import digest
from chapter03_metadata.common.es import Version
from chapter04_dedup.api_server import objects as chapter4
from chapter05_erasure.common import rs
from chapter05_erasure.common.shards import BATCH, RSGetStream, RSPutStream


class ObjectsView(chapter4.ObjectsView):
    """Objects stored as six shards on six data servers."""
    put_stream = RSPutStream        # chapter 7 compresses what it encodes
    body_chunk = BATCH              # the body arrives in encoding batches: no regrouping copies

    def store_object(self, claimed: str, chunks: Iterable[bytes]) -> int:
        size = chapter4.content_length()
        key = digest.key(claimed)
        if len(self.locator.locate(key)) >= rs.DATA_SHARDS:
            return chapter4.prove_possession(chunks, claimed)
        body = VerifiedBody(chunks, claimed)
        with self.put_stream(self.choose_servers(rs.ALL_SHARDS), key, size) as stream:
            stream.write(body)
            if body.size != size:
                raise BadRequest(f"the body has {body.size} bytes, not its Content-Length {size}")
            stream.commit()
        return body.size

    def send_object(self, record: Version) -> Response:
        key = digest.key(record.hash)
        locations = self.locator.locate(key)
        stream = RSGetStream(locations, key, record.size, self.repair_target(locations))
        response = Response(stream, mimetype="application/octet-stream", direct_passthrough=True)
        response.content_length = record.size
        return response

    def repair_target(self, locations: dict[int, str]):
        return repair_target(self.servers, locations)


def repair_target(servers, locations: dict[int, str]):
    """Where a missing shard is rewritten: its own live server, else a live server without shards."""
    taken = set(locations.values())

    def target(index: int, own: str | None) -> str | None:
        if own in servers.live():
            return own
        spare = servers.choose(1, exclude=taken)
        taken.update(spare)         # two lost shards never land on one server
        return spare[0] if spare else None
    return target
