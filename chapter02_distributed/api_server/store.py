"""The api server's object pipeline, free of HTTP requests (book §4.2 ``objects/{store,get}.go``).

Views parse headers and shape answers; ``Objects`` stores and reads. Chapter 2 puts an object
whole on one random live data server and reads it from the one that locate finds. Later chapters
subclass ``Objects`` exactly where the book's files change (versions in 3, dedup in 4, shards in 5,
ranges and resumable uploads in 6, packing in 7) and their ``create_app`` passes it to the views,
as it passes the locator; so the S3 gateway, the scanner and any other caller store and read
objects the same way without a request in sight.
"""
from dataclasses import dataclass, field
from typing import Iterable

from chapter01_single.errors import ObjectNotFound
from chapter02_distributed.api_server.heartbeat import NoLiveDataServer
from chapter02_distributed.common import objectstream


@dataclass
class Body:
    """What a read hands to its caller: the bytes, their length (None: not known in advance),
    headers that describe them (chapter 7: ``Content-Encoding``), and the ``source`` they come from
    (a data server's response a view may splice, or chapter 5's shard stream with its repairs)."""
    chunks: Iterable[bytes]
    length: int | None
    headers: dict = field(default_factory=dict)
    source: object = None


class Objects:
    """Objects spread over the live data servers."""
    body_chunk = objectstream.CHUNK      # the bytes a caller best hands over at once (chapter 5: a batch)

    def __init__(self, servers, locator):
        self.servers, self.locator = servers, locator

    def put(self, name: str, chunks: Iterable[bytes], size: int | None = None) -> None:
        """Stream ``chunks`` (``size`` bytes, if known) to one random live data server as ``name``."""
        objectstream.put_stream(self.choose_servers(1)[0], name, chunks, size)

    def get(self, name: str) -> Body:
        """The object ``name``, streamed from the data server that holds it."""
        server = self.locator.locate(name)
        if not server:
            raise ObjectNotFound(f"object {name!r} not found")
        upstream = objectstream.get_stream(server, name)
        return Body(objectstream.iter_body(upstream), _length(upstream), source=upstream)

    def choose_servers(self, n: int) -> list[str]:
        """``n`` distinct live data servers, or 503."""
        chosen = self.servers.choose(n)
        if not chosen:
            raise NoLiveDataServer(f"fewer than {n} live data servers")
        return chosen


def _length(upstream) -> int | None:
    length = upstream.headers.get("Content-Length", "")
    return int(length) if length.isdigit() else None
