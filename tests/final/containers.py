"""What final/'s tests need of the containers on disk: which servers keep an object whole, and how
to damage a replica the way a broken (or lying) server would."""
import os
from pathlib import Path

import requests

from chapter03_metadata.common import digest
from final.containers import record
from final.containers.scan import Damage, scan


def key_of(data: bytes) -> str:
    return digest.key(digest.of(data))


def holders(cluster, data: bytes) -> list:
    """The data servers that answer the object's replica (``GET /containers/<key>``)."""
    key = key_of(data)
    return [p for p in cluster.data_servers
            if requests.get(f"http://{p.address}/containers/{key}", timeout=10).status_code == 200]


def records_of(server, data: bytes) -> list[tuple[Path, record.Record]]:
    """(container file, record) of every record of the object's key in ``server``'s containers."""
    found = []
    for path in sorted((Path(server.root) / "containers").glob("*.ctr")):
        with open(path, "rb") as file:
            found += [(path, r) for r in scan(file) if not isinstance(r, Damage) and r.key == key_of(data)]
    return found


def rewrite(path: Path, found: record.Record, data: bytes) -> None:
    """Put other bytes of the same length in a record, with CRCs that fit them: its server reads
    them as good (only the object's hash can tell)."""
    raw = record.encode(found.kind, found.seq, found.time, found.key, data)
    assert len(raw) == found.length
    with open(path, "r+b") as file:
        file.seek(found.offset)
        file.write(raw)


def flip(path: Path, found: record.Record) -> None:
    """Flip a byte in a record's data: its CRC no longer holds."""
    with open(path, "r+b") as file:
        file.seek(found.offset + found.length - record.TRAILER - 1)
        byte = file.read(1)
        file.seek(-1, os.SEEK_CUR)
        file.write(bytes([byte[0] ^ 0xFF]))


def files_of(cluster, data: bytes) -> list[Path]:
    """Files named after the object anywhere under the data servers' roots (there should be none)."""
    key = key_of(data)
    return [f for p in cluster.data_servers for f in Path(p.root).rglob(f"{key}*")]


def roll(server) -> None:
    """Open a new container (the compactor never takes the open one): records too big for what is
    left of CONTAINER_SIZE (1 MiB on the test cluster) go to a new one; they are deleted at once."""
    root = Path(server.root) / "containers"
    count = len(list(root.glob("*.ctr")))
    for _ in range(3):
        filler = os.urandom(600000)
        url = f"http://{server.address}/containers/{key_of(filler)}"
        assert requests.put(url, data=filler, timeout=30).ok
        assert requests.delete(url, timeout=30).ok          # dead at once: it weighs on no live count
        if len(list(root.glob("*.ctr"))) > count:
            return
    raise AssertionError("no new container was opened")
