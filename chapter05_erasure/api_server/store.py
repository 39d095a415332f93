"""The object pipeline over Reed-Solomon 4+2 shards (book §4.5 ``objects/{put_stream,get,get_stream}.go``).

Overrides chapter 4's ``has_content`` (four located shards make the content) and ``put_new`` (six
distinct live servers or 503; the shards stream in parallel; all six commit or none), and chapter
3's ``open`` (any four readable shards serve a read, D4; missing or corrupt shards are repaired on
the side, onto their own server when it is alive, else onto a live server holding no shard of the
object). A body is best handed over in encoding batches (``body_chunk``): no regrouping copies.
"""
from chapter02_distributed.api_server.store import Body
from chapter03_metadata.api_server.store import VerifiedBody, checked
from chapter03_metadata.common import digest
from chapter03_metadata.common.es import Version
from chapter04_dedup.api_server import store as chapter4
from chapter05_erasure.common import rs
from chapter05_erasure.common.shards import BATCH, RSGetStream, RSPutStream


class Objects(chapter4.Objects):
    """Objects stored as six shards on six data servers."""
    put_stream = RSPutStream        # chapter 7 compresses what it encodes
    get_stream = RSGetStream        # chapter 8's scanner commits its repairs before it ends
    body_chunk = BATCH

    def has_content(self, hash: str) -> bool:
        return len(self.locator.locate(digest.key(hash))) >= rs.DATA_SHARDS

    def put_new(self, key: str, body: VerifiedBody, size: int) -> dict:
        with self.put_stream(self.choose_servers(rs.ALL_SHARDS), key, size) as stream:
            stream.write(body)
            chapter4.check_size(body, size)
            stream.commit()
        return self.form_of(stream)

    def form_of(self, stream=None) -> dict:
        """What a version records of how this api stored its content with ``stream`` (None: plain,
        by a resumable upload); chapter 5: nothing more."""
        return {}

    def open(self, record: Version) -> Body:
        key = digest.key(record.hash)
        return self.read(key, self.locator.locate(key), record.size, record.hash)

    def read(self, key: str, locations: dict[int, str], size: int, expect: str | None = None) -> Body:
        """The ``size`` bytes encoded in the shards of ``key`` at ``locations`` (checked against the
        hash ``expect`` as they are read, when given)."""
        stream = self.get_stream(locations, key, size, self.repair_target(locations))
        return Body(stream if expect is None else checked(stream, expect), size, source=stream)

    def repair_target(self, locations: dict[int, str]):
        """Where a missing shard is rewritten: its own live server, else a live server without shards."""
        taken = set(locations.values())

        def target(index: int, own: str | None) -> str | None:
            if own in self.servers.live():
                return own
            spare = self.servers.choose(1, exclude=taken)
            taken.update(spare)         # two lost shards never land on one server
            return spare[0] if spare else None
        return target
