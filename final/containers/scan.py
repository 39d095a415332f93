"""Reading a container file from one end to the other: every intact record, and what is not.

Used at start-up (the index is rebuilt from the containers, or their tails past the saved index)
and by compaction. A record that does not check out is skipped: the reader looks for the next
place where a whole, intact record starts (its magic, a header whose CRC holds, data whose CRC
holds) and reports the bytes in between as ``Damage``; damage that runs to the end of the file is
a torn tail (a crash mid-write), which start-up cuts off.
"""
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from final.containers import record

CHUNK = 8 << 20          # bytes read at a time


@dataclass(frozen=True)
class Damage:
    """Bytes ``start``..``end`` of a container hold no intact record (``tail``: up to its end)."""
    start: int
    end: int
    tail: bool


class _Window:
    """The file's bytes from offset ``base``, read in chunks; ``at`` is a position in them."""

    def __init__(self, file: BinaryIO, start: int):
        self.file, self.data, self.base, self.at, self.ended = file, b"", start, 0, False
        file.seek(start)

    def need(self, count: int) -> bool:
        """Whether ``count`` bytes from ``at`` are there (reading more if the file has them)."""
        while len(self.data) - self.at < count and not self.ended:
            more = self.file.read(max(CHUNK, count))
            self.ended = not more
            self.data, self.base, self.at = self.data[self.at:] + more, self.base + self.at, 0
        return len(self.data) - self.at >= count

    @property
    def offset(self) -> int:
        return self.base + self.at


def scan(file: BinaryIO, start: int = 0) -> Iterator[record.Record | Damage]:
    """The records of ``file`` from byte ``start`` on (which must begin a record), and the damage."""
    window = _Window(file, start)
    while window.need(1):
        found = _record_at(window)
        if found is not None:
            yield found
            window.at += found.length
            continue
        damaged = window.offset
        window.at += 1
        while window.need(len(record.MAGIC)):
            at = window.data.find(record.MAGIC, window.at)
            if at == -1:                                        # none in what is read: read on
                window.at = max(window.at, len(window.data) - len(record.MAGIC) + 1)
                continue
            window.at = at
            if _record_at(window) is not None:
                break
            window.at += 1
        else:
            window.at = len(window.data)
        yield Damage(damaged, window.offset, not window.need(1))


def _record_at(window: _Window) -> record.Record | None:
    """The intact record that starts at the window's position, or None."""
    if not window.need(record.HEADER):
        return None
    try:
        _, _, _, key_length, data_length = record.parse_header(window.data[window.at:window.at + record.HEADER])
        length = record.size_of(key_length, data_length)
        if not window.need(length):
            return None
        return record.decode(window.data[window.at:window.at + length], window.offset)
    except record.BadRecord:
        return None


def keys_in(folder) -> set[str]:
    """The keys whose newest record in the containers of ``folder`` is data (read only: a running
    server may go on appending; a record it is writing reads as a torn tail and is left out)."""
    newest: dict[str, tuple[int, int]] = {}
    for path in sorted(folder.glob("*.ctr")):
        with open(path, "rb") as file:
            for found in scan(file):
                if not isinstance(found, Damage) and found.seq > newest.get(found.key, (0, 0))[0]:
                    newest[found.key] = (found.seq, found.kind)
    return {key for key, (_, kind) in newest.items() if kind == record.DATA}
