"""A small HTTP/1.1 load generator for the benchmarks: many keep-alive connections on asyncio.

``requests`` costs the client about half a millisecond of CPU per request, which on two shared
cores would be measured as the servers' time. Here each connection writes prepared request bytes
and reads the answer (status line, headers, a Content-Length body): a few tens of microseconds a
request. ``run(targets, make, clients, seconds)`` keeps ``clients`` connections busy for
``seconds``, spread over the ``targets`` (``host:port``), each request made by ``make(n)``.
"""
import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class Result:
    """What a run did: answered requests by status, and each request's latency in seconds."""
    seconds: float = 0.0
    statuses: dict = field(default_factory=dict)
    latencies: list = field(default_factory=list)

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def request(method: str, path: str, host: str, body: bytes = b"", headers: dict | None = None) -> bytes:
    """The bytes of one request."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def run(targets: list[str], make, clients: int, seconds: float) -> Result:
    """Keep ``clients`` connections busy for ``seconds``; ``make(n, target)`` gives request ``n``'s bytes."""
    return asyncio.run(_run(targets, make, clients, seconds))


async def _run(targets, make, clients, seconds) -> Result:
    result, counter = Result(), iter(range(1 << 62))
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_client(targets[n % len(targets)], make, counter, deadline, result)
                           for n in range(clients)))
    result.seconds = time.perf_counter() - started
    return result


async def _client(target: str, make, counter, deadline: float, result: Result) -> None:
    host, port = target.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        while time.perf_counter() < deadline:
            payload = make(next(counter), target)
            start = time.perf_counter()
            writer.write(payload)
            status = await _answer(reader)
            result.latencies.append(time.perf_counter() - start)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status == 0:
                writer.close()
                reader, writer = await asyncio.open_connection(host, int(port))
    finally:
        writer.close()


async def _answer(reader) -> int:
    """Read one answer; its status (0: the connection broke)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return 0
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next((int(line.split(":", 1)[1]) for line in lines[1:] if line.lower().startswith("content-length:")), 0)
    await reader.readexactly(length)
    return status
