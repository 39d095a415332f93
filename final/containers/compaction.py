"""Compaction: a container whose dead bytes pass ``COMPACT_RATIO`` is rewritten without them.

Online and crash-safe at every step:

1. the live records (those the index points at) and the delete marks still needed are copied,
   byte for byte (same seq, same time), into ``<new id>.ctr.tmp``, which is synced; reads and
   writes go on meanwhile (writes go to the open container, never to one being compacted);
2. it is renamed ``<new id>.ctr`` and the folder synced: now both files hold those records, and a
   restart (which keeps the record with the highest seq, the newer file on a tie) loses nothing;
3. the index is switched, key by key, where it still points at the old place (a key written or
   deleted meanwhile keeps its newer state);
4. only then is the old file removed (its descriptor stays open a while, for reads under way).

A kill at 1 leaves a ``.tmp`` that start-up removes; at 2 or 3, duplicates the next compaction
drops. A delete mark is kept while any other container may hold an older record of its key (one
whose lowest seq is below the mark's).
"""
import logging
import os
import time
from dataclasses import dataclass, field

from final.containers import record
from final.containers.scan import Damage, scan
from final.containers.store import pack, raw, unpack

log = logging.getLogger(__name__)


def candidates(store, ratio: float) -> list[int]:
    """Containers (never the open one) whose dead bytes pass ``ratio``, most dead first."""
    with store.lock:
        full = [c for c in store.files.values() if c is not store.active and c.size and c.dead_ratio > ratio]
        return [c.id for c in sorted(full, key=lambda c: -c.dead_ratio)]


def compact(store, cid: int) -> dict:
    """Rewrite container ``cid`` without its dead records; what it did."""
    started = time.monotonic()
    with store.lock:
        old = store.files[cid]
        floor = min((c.min_seq for c in store.files.values() if c.id != cid), default=1 << 63)
        new_id = max(store.files) + 1
    partial = store.folder / f"{new_id:08d}.ctr.tmp"
    copy = _copy(store, old, new_id, floor, partial)
    os.replace(partial, store.path(new_id))
    store.sync_folder()
    with store.lock:
        new = store.open_container(new_id, copy.written)
        new.min_seq = copy.min_seq
        for raw_key, old_loc, new_loc in copy.moves:
            if store.index.get(raw_key) == old_loc:
                store.index[raw_key] = new_loc
                new.live += unpack(new_loc)[2]
        del store.files[cid]
        store.retired.append(old.fd)
    old.path.unlink()
    store.sync_folder()
    seconds = time.monotonic() - started
    log.info("compacted container %d into %d: %d of %d bytes kept in %.2f s", cid, new_id, copy.written, old.size,
             seconds)
    return {"container": cid, "into": new_id, "read": old.size, "written": copy.written,
            "marks_kept": copy.marks, "seconds": round(seconds, 3),
            "mb_per_s": round(old.size / seconds / 1e6, 1) if seconds else None}


@dataclass
class _Copy:
    written: int = 0
    marks: int = 0
    min_seq: int = 1 << 63
    moves: list = field(default_factory=list)     # (raw key, old place, new place)


def _copy(store, old, new_id: int, floor: int, partial) -> _Copy:
    """Copy what must stay of ``old`` into ``partial`` (synced)."""
    copy, pending, pending_size = _Copy(), [], 0
    with open(old.path, "rb") as source, open(partial, "wb") as out:
        for found in scan(source):
            if isinstance(found, Damage) or not (_live(store, old.id, found) or _needed_mark(found, floor)):
                continue
            if found.kind == record.DATA:
                copy.moves.append((raw(found.key), pack(old.id, found.offset, found.length),
                                   pack(new_id, copy.written, found.length)))
            else:
                copy.marks += 1
            pending.append(record.encode(found.kind, found.seq, found.time, found.key, found.data))
            pending_size += found.length
            copy.written += found.length
            copy.min_seq = min(copy.min_seq, found.seq)
            if pending_size >= 8 << 20:
                out.writelines(pending)
                pending, pending_size = [], 0
        out.writelines(pending)
        if store.durable is not None:
            store.durable.file(out)
    return copy


def _live(store, cid: int, found: record.Record) -> bool:
    """Whether the index points at ``found``."""
    if found.kind != record.DATA:
        return False
    with store.lock:
        return store.index.get(raw(found.key)) == pack(cid, found.offset, found.length)


def _needed_mark(found: record.Record, floor: int) -> bool:
    """A delete mark stays while another container may hold an older record of its key."""
    return found.kind == record.MARK and found.seq > floor
