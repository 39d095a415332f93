"""The saved index, and start-up: from the saved index and the containers' tails, or from the
containers alone.

``containers/index.snapshot`` holds, for a moment of the store, every key's place and each
container's size and lowest seq. At start-up it is loaded and only the bytes the containers grew
by since are read (a restart after 100,000 small objects takes a fraction of a second). Without
it, or when it does not fit the files (a container it names is gone or shorter, or a container it
does not know holds older records: a compaction's output), the index is rebuilt from every record
of every container: of several records of one key the highest seq wins, a delete mark hides what
it follows. A torn tail (a crash mid-write) is cut off; other damage is skipped and reported.

    index.snapshot:  OSCI1 {"seq": …, "containers": {id: [size, min seq]}, "count": n}\\n
                     n × (32-byte key, 8-byte offset, 4-byte container, 4-byte length) | CRC-32
"""
import json
import logging
import os
import struct
from pathlib import Path

from isal.isal_zlib import crc32

from final.containers.scan import Damage, scan
from final.containers.store import pack, raw, unpack

NAME = "index.snapshot"
MAGIC = b"OSCI1 "
ENTRY = struct.Struct(">32sQII")

log = logging.getLogger(__name__)


def save(store) -> Path:
    """Write the snapshot of ``store`` (atomically; synced when the store syncs)."""
    with store.writer.busy, store.lock:
        head = {"seq": store.seq, "count": len(store.index),
                "containers": {str(c.id): [c.size, c.min_seq] for c in store.files.values()}}
        entries = [(key, unpack(loc)) for key, loc in store.index.items()]
    body = b"".join(ENTRY.pack(key, offset, cid, length) for key, (cid, offset, length) in entries)
    data = MAGIC + json.dumps(head).encode() + b"\n" + body
    target = store.folder / NAME
    partial = store.folder / (NAME + ".tmp")
    with open(partial, "wb") as out:
        out.write(data + crc32(data).to_bytes(4, "big"))
        if store.durable is not None:
            store.durable.file(out)
    os.replace(partial, target)
    store.sync_folder()
    return target


def load(store) -> None:
    """Fill ``store``'s files and index at start-up."""
    for leftover in store.folder.glob("*.tmp"):       # an unfinished compaction or snapshot
        log.warning("removing %s, left by an interrupted compaction or save", leftover.name)
        leftover.unlink()
    ids = store.container_ids()
    saved = _read(store.folder / NAME)
    if saved is not None and _fits(saved, ids, store):
        _from_snapshot(store, saved, ids)
    else:
        _rebuild(store, ids)
    if ids:
        last = store.files[ids[-1]]
        store.active = last if last.size < store.container_size else None


def _read(path: Path):
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if not data.startswith(MAGIC) or crc32(data[:-4]) != int.from_bytes(data[-4:], "big"):
        log.warning("%s is damaged: rebuilding the index from the containers", path.name)
        return None
    line, _, body = data[:-4].partition(b"\n")
    head = json.loads(line[len(MAGIC):])
    entries = [ENTRY.unpack_from(body, at) for at in range(0, len(body), ENTRY.size)]
    return head, entries


def _fits(saved, ids: list[int], store) -> bool:
    head, _ = saved
    for cid, (size, _) in head["containers"].items():
        if int(cid) not in ids or store.path(int(cid)).stat().st_size < size:
            return False
    return True


def _from_snapshot(store, saved, ids: list[int]) -> None:
    head, entries = saved
    known = {int(cid): values for cid, values in head["containers"].items()}
    for cid in ids:
        container = store.open_container(cid)
        container.min_seq = known.get(cid, [0, 1 << 63])[1]
    for key, offset, cid, length in entries:
        store.index[key] = pack(cid, offset, length)
        store.files[cid].live += length
    newer = []
    for cid in ids:
        for found in _records(store, cid, known.get(cid, [0])[0]):
            if found.seq < head["seq"]:                  # older records in a file it did not know
                log.warning("container %d holds records older than the saved index: rebuilding", cid)
                return _rebuild(store, ids)
            newer.append((found.seq, cid, found))
    for _, cid, found in sorted(newer, key=lambda item: item[0]):
        store.files[cid].min_seq = min(store.files[cid].min_seq, found.seq)
        store.place(found, cid)
    store.seq = max([head["seq"]] + [seq + 1 for seq, _, _ in newer])
    log.info("index loaded: %d keys from the snapshot, %d records since", len(entries), len(newer))


def _rebuild(store, ids: list[int]) -> None:
    for container in list(store.files.values()):
        os.close(container.fd)
    store.files, store.index = {}, {}
    best: dict[bytes, tuple] = {}
    for cid in ids:
        container = store.open_container(cid)
        for found in _records(store, cid, 0):
            container.min_seq = min(container.min_seq, found.seq)
            raw_key = _raw(found.key)
            if raw_key is None:
                continue
            current = best.get(raw_key)
            if current is None or (found.seq, cid) > (current[0], current[1]):
                best[raw_key] = (found.seq, cid, found)
    for seq, cid, found in sorted(best.values(), key=lambda item: item[0]):
        store.place(found, cid)
    store.seq = max([seq for seq, _, _ in best.values()], default=0) + 1
    log.info("index rebuilt from %d containers: %d keys", len(ids), len(store.index))


def _records(store, cid: int, start: int):
    """The intact records of container ``cid`` from ``start``; damage is reported, a torn tail cut."""
    container = store.files[cid]
    with open(container.path, "rb") as file:
        for found in scan(file, start):
            if not isinstance(found, Damage):
                yield found
                continue
            if found.tail:
                os.ftruncate(container.fd, found.start)
                container.size = found.start
                log.warning("container %d: cut a torn tail of %d bytes at %d", cid, found.end - found.start,
                            found.start)
            else:
                log.error("container %d: bytes %d-%d hold no intact record (skipped)", cid, found.start, found.end)
            store.damage.append({"container": cid, "start": found.start, "end": found.end, "cut": found.tail})


def _raw(key: str) -> bytes | None:
    try:
        raw_key = raw(key)
    except ValueError:
        return None
    return raw_key if len(raw_key) == 32 else None
