"""The local cluster launcher: a chapter's servers as processes on loopback addresses.

    python -m scripts.cluster up 5        # six data servers and two api servers of chapter 5
    python -m scripts.cluster status
    python -m scripts.cluster down

Chapter 1 is one server on 127.0.1.1:12345; chapters 2-8 run data servers on 127.0.1.1-6 and api
servers on 127.0.2.1-2, all on port 12345 (interfaces.md), without sudo: Linux routes all of
127.0.0.0/8 to the loopback device. Each data server's STORAGE_ROOT is ``<root>/<n>`` (default root
``/tmp/osd``, env ``CLUSTER_ROOT``); pids and logs are kept there, and ``down`` stops exactly those
pids. ``up`` waits until every api server's /healthz lists all six data servers.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

PACKAGES = {1: "chapter01_single", 2: "chapter02_distributed", 3: "chapter03_metadata",
            4: "chapter04_dedup", 5: "chapter05_erasure", 6: "chapter06_resumable",
            7: "chapter07_gzip", 8: "chapter08_maintenance", 9: "final"}
FINAL = 9                   # "final" on the command line: the integrated store, one floor above chapter 8
PORT = 12345
DATA_HOSTS = [f"127.0.1.{i}" for i in range(1, 7)]
API_HOSTS = ["127.0.2.1", "127.0.2.2"]
DEFAULT_ROOT = "/tmp/osd"
REPO = Path(__file__).resolve().parent.parent


@dataclass
class Process:
    """One server of the cluster."""
    role: str            # "server", "data" or "api"
    address: str
    module: str
    root: str | None = None
    pid: int | None = None

    def running(self) -> bool:
        """Whether our pid still runs our module (a recycled pid is not ours)."""
        if not self.pid:
            return False
        try:
            cmdline = Path(f"/proc/{self.pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        return self.module.encode() in cmdline


@dataclass
class Cluster:
    """A chapter's cluster rooted at ``root``; ``env`` is added to every server's environment."""
    chapter: int
    root: Path = Path(os.environ.get("CLUSTER_ROOT", DEFAULT_ROOT))
    env: dict = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)
    port: int = PORT
    repo: Path = REPO          # the checkout whose code runs (a benchmark may run an older one beside)

    def __post_init__(self):
        self.root = Path(self.root)
        if not self.processes:
            self.processes = self._plan()

    @property
    def data_servers(self) -> list[Process]:
        return [p for p in self.processes if p.role in ("data", "server")]

    @property
    def api_servers(self) -> list[Process]:
        return [p for p in self.processes if p.role == "api"]

    def up(self, timeout: float = 60) -> None:
        """Start every process that is not running and wait until the cluster is ready."""
        (self.root / "logs").mkdir(parents=True, exist_ok=True)
        for process in self.processes:
            if not process.running():
                self.start(process)
        self.save()
        self.wait_ready(timeout)

    def start(self, process: Process) -> None:
        deadline = time.monotonic() + 5     # a server just killed may take a moment to let go
        while _listening(process.address) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _listening(process.address):     # a server left by another run would answer in its place
            raise RuntimeError(f"{process.address} is already taken by another process: stop it first "
                               f"(for example with `ss -ltnp | grep {process.address}`)")
        env = {**os.environ, **self.env, "LISTEN_ADDRESS": process.address, "PYTHONUNBUFFERED": "1"}
        if process.root:
            Path(process.root).mkdir(parents=True, exist_ok=True)
            env["STORAGE_ROOT"] = process.root
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(self.repo), env.get("PYTHONPATH")]))
        log = open(self.root / "logs" / f"{process.role}-{process.address}.log", "ab")
        child = subprocess.Popen([sys.executable, "-m", process.module], env=env, stdout=log,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.repo,
                                 start_new_session=True)
        log.close()
        process.pid = child.pid

    def stop(self, process: Process, timeout: float = 8) -> None:
        """SIGTERM ``process`` (by its pid), SIGKILL it if it lingers."""
        if process.running():
            os.kill(process.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while process.running() and time.monotonic() < deadline:
                _reap(process.pid)
                time.sleep(0.05)
            if process.running():     # the whole group: gunicorn's worker too
                os.killpg(process.pid, signal.SIGKILL)
        _reap(process.pid)
        process.pid = None

    def down(self) -> None:
        for process in self.processes:
            self.stop(process)
        self.save()

    def wait_ready(self, timeout: float) -> None:
        """Until every server answers /healthz and every api server lists all data servers."""
        deadline = time.monotonic() + timeout
        want = sorted(p.address for p in self.data_servers)
        while True:
            problems = [f"{p.role} {p.address}: {why}" for p in self.processes if (why := self.problem(p, want))]
            if not problems:
                return
            if time.monotonic() > deadline:
                raise RuntimeError("cluster not ready: " + "; ".join(problems) + f" (logs in {self.root}/logs)")
            time.sleep(0.1)

    def problem(self, process: Process, want: list[str]) -> str | None:
        """Why ``process`` is not ready, or None."""
        if not process.running():
            return "not running"
        health = self.health(process)
        if health is None:
            return "no answer on /healthz"
        if process.role == "api" and health.get("data_servers") != want:
            return f"sees data servers {health.get('data_servers')}"
        return None

    @staticmethod
    def health(process: Process) -> dict | None:
        try:
            return requests.get(f"http://{process.address}/healthz", timeout=1).json()
        except (requests.RequestException, ValueError):
            return None

    def save(self) -> None:
        state = {"chapter": self.chapter, "env": self.env, "processes": [vars(p) for p in self.processes],
                 "port": self.port, "repo": str(self.repo)}
        (self.root / "cluster.json").write_text(json.dumps(state, indent=1))

    @classmethod
    def load(cls, root: Path) -> "Cluster":
        state = json.loads((Path(root) / "cluster.json").read_text())
        return cls(state["chapter"], Path(root), state["env"], [Process(**p) for p in state["processes"]],
                   state.get("port", PORT), Path(state.get("repo", REPO)))

    def _plan(self) -> list[Process]:
        package = PACKAGES[self.chapter]
        if self.chapter == 1:
            return [Process("server", f"{DATA_HOSTS[0]}:{self.port}", f"{package}.server", str(self.root / "1"))]
        data = [Process("data", f"{host}:{self.port}", f"{package}.data_server", str(self.root / str(i)))
                for i, host in enumerate(DATA_HOSTS, 1)]
        api = [Process("api", f"{host}:{self.port}", f"{package}.api_server") for host in API_HOSTS]
        return data + api


def _reap(pid: int | None) -> None:
    """Collect our own exited child, so that it does not linger as a zombie."""
    try:
        if pid:
            os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.cluster", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("chapter", nargs="?", type=_chapter, choices=sorted(PACKAGES),
                        help="1-8, or final")
    parser.add_argument("--root", default=os.environ.get("CLUSTER_ROOT", DEFAULT_ROOT))
    parser.add_argument("--port", type=int, default=PORT, help="port of every server (default 12345)")
    args = parser.parse_args(argv)
    state = Path(args.root) / "cluster.json"
    if args.command == "up":
        if args.chapter is None:
            parser.error("up needs a chapter number (1-8) or final")
        if state.exists():
            Cluster.load(args.root).down()
        cluster = Cluster(args.chapter, Path(args.root), port=args.port)
        cluster.up()
        print(f"{PACKAGES[args.chapter]} cluster is up (root {args.root}, logs in {args.root}/logs)")
        return _status(cluster)
    if not state.exists():
        print(f"no cluster recorded under {args.root}")
        return 0 if args.command == "down" else 1
    cluster = Cluster.load(args.root)
    if args.command == "down":
        cluster.down()
        print("cluster stopped")
        return 0
    return _status(cluster)


def _chapter(text: str) -> int:
    return FINAL if text == "final" else int(text)


def _status(cluster: Cluster) -> int:
    ok = True
    for p in cluster.processes:
        health = cluster.health(p) if p.running() else None
        ok &= health is not None
        extra = f" data_servers={health['data_servers']}" if health and "data_servers" in health else ""
        print(f"{p.role:6} {p.address:18} pid={p.pid or '-':<8} {'healthy' if health else 'DOWN'}{extra}")
    return 0 if ok else 1


def _listening(address: str) -> bool:
    """Whether something accepts connections at ``host:port``."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
