"""Helpers shared by the benchmarks: isolated clusters, timed curl transfers, process sampling, tables.

Every benchmark cluster stays out of the test clusters' way (port 12345, /tmp/osd, vhost "/", index
"test-metadata"): port 22345 (a baseline cluster on 22346), root /tmp/osd-bench/ch<N>-<port>, its own
RabbitMQ vhost ``bench-<port>`` and the Elasticsearch index ``bench-metadata``. Sizes: MB = 10^6 bytes.
"""
import base64
import contextlib
import hashlib
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median  # noqa: F401  (the benchmarks import it from here)

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from scripts.cluster import Cluster  # noqa: E402

PORT = 22345                        # the measured cluster; PORT + 1 for a baseline cluster
ROOT = Path("/tmp/osd-bench")       # cluster roots, removed after each run
FILES = Path("/tmp/osd-bench-files")  # random payloads, kept between runs (rm -r to reclaim the disk)
ES_SERVER = os.environ.get("ES_SERVER", "127.0.0.1:9200")
ES_INDEX = "bench-metadata"
AMQP = "amqp://guest:guest@127.0.0.1:5672/"
FAST = {"HEARTBEAT_INTERVAL": "0.2", "HEARTBEAT_EXPIRY": "1.5", "LOCATE_TIMEOUT": "1"}
MB = 1e6
MiB = 1 << 20
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- clusters

@contextlib.contextmanager
def cluster(chapter: int, port: int = PORT, repo: Path = REPO, **env):
    """A fresh chapter cluster on ``port``, isolated from the tests; stopped and removed at exit.
    ``repo``: the checkout whose code it runs (``checkout(rev)``: an earlier commit, measured beside)."""
    vhost = f"bench-{port}"
    ensure_vhost(vhost)
    root = ROOT / f"ch{chapter}-{port}"
    remove_cluster(root)
    env = {**FAST, "RABBITMQ_SERVER": AMQP + vhost, "ES_SERVER": ES_SERVER, "ES_INDEX": ES_INDEX, **env}
    if chapter >= 3:
        drop_es_index()
    warm_memory()
    running = Cluster(chapter, root=root, env=env, port=port, repo=repo)
    try:
        running.up(timeout=90)
        if chapter >= 3:
            warm_es()
        yield running
    finally:
        running.down()
        shutil.rmtree(root, ignore_errors=True)
        if chapter >= 3:
            drop_es_index()


def checkout(rev: str) -> Path:
    """A work tree of commit ``rev`` under /tmp/osd-bench-trees (made once; ``git worktree``)."""
    sha = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", rev], capture_output=True, text=True,
                         check=True).stdout.strip()
    tree = Path("/tmp/osd-bench-trees") / sha
    if not (tree / "scripts").exists():
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--force", "--detach", str(tree), sha],
                       check=True, capture_output=True)
    return tree


WARM_MEMORY: list[float] = []    # seconds the warm-up took, once per run


def warm_memory(mib: int = 8192) -> None:
    """Write and delete ``mib`` MiB once per run (not with BENCH_COLD=1), so later writes land in
    memory the VM already backs.

    On this kind of VM (Firecracker with free page reporting) memory the guest frees goes back to
    the host, and every page written into it afterwards faults in again: any process, dd included,
    then writes new files at ~360 MB/s instead of GB/s. Measured code would only show the VM.
    """
    if WARM_MEMORY or os.environ.get("BENCH_COLD") == "1":
        return
    path = FILES / "warm-memory"
    FILES.mkdir(exist_ok=True)
    start = time.monotonic()
    subprocess.run(["dd", "if=/dev/zero", f"of={path}", "bs=1M", f"count={mib}"], check=True,
                   capture_output=True)
    path.unlink()
    WARM_MEMORY.append(time.monotonic() - start)
    print(f"   memory warmed: {mib} MiB written and deleted in {time.monotonic() - start:.1f} s")


def ensure_vhost(vhost: str) -> None:
    """Create the RabbitMQ vhost (and guest's permissions on it) unless it exists."""
    listed = rabbitmqctl("list_vhosts", "--quiet").split()
    if vhost not in listed:
        rabbitmqctl("add_vhost", vhost)
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")


def rabbitmqctl(*args: str) -> str:
    done = subprocess.run(["bash", str(REPO / "scripts/services.sh"), "rabbitmqctl", *args],
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"rabbitmqctl {' '.join(args)} failed (is RabbitMQ up? bash scripts/services.sh start):\n"
                 f"{done.stderr}")
    return done.stdout


def drop_es_index() -> None:
    """Delete the benchmark's metadata indices (never the tests'), final/'s S3 buckets and keys too."""
    names = ",".join(ES_INDEX + suffix for suffix in ("", "-heads", "-s3", "-s3-heads", "-buckets"))
    url = f"http://{ES_SERVER}/{names}?ignore_unavailable=true"
    try:
        requests.delete(url, timeout=30).raise_for_status()
    except requests.RequestException as error:
        sys.exit(f"Elasticsearch at {ES_SERVER}: {error} (bash scripts/services.sh start)")


WARMED: list[float] = []     # get-by-id ms: first and last hundred of the warm-up, once per run


def warm_es(requests_count: int = 4000) -> None:
    """Bring Elasticsearch's get-by-id to its steady latency before anything is measured.

    A freshly started Elasticsearch (JIT not yet compiled) answers a get by id in 5-8 ms; after a
    few thousand requests, in 1-2 ms. A server in service is warm, so the benchmarks measure that.
    """
    if WARMED:
        return
    index = f"http://{ES_SERVER}/{ES_INDEX}-warmup"
    with requests.Session() as http:
        http.put(f"{index}/_doc/1", json={"name": "warm-up"}, timeout=30).raise_for_status()
        times = []
        for _ in range(requests_count):
            start = time.perf_counter()
            http.get(f"{index}/_doc/1", timeout=30)
            times.append(1000 * (time.perf_counter() - start))
        http.delete(index, timeout=30)
    WARMED.extend([median(times[:100]), median(times[-100:])])
    print(f"   Elasticsearch warmed up: get by id {WARMED[0]:.1f} ms -> {WARMED[1]:.1f} ms "
          f"(medians of the first and last 100 of {requests_count})")


def remove_cluster(root: Path) -> None:
    """Stop what a crashed earlier run left under ``root`` (by its recorded pids) and remove it."""
    if (root / "cluster.json").exists():
        Cluster.load(root).down()
    shutil.rmtree(root, ignore_errors=True)


class Unavailable(Exception):
    """The cluster could not serve a request (e.g. the tests restarted RabbitMQ meanwhile)."""


REDONE: list[str] = []   # what was redone and why, printed by ``redone()``


def retrying(running: Cluster, action, attempts: int = 5):
    """``action()``; when the cluster is unavailable, wait until it is ready again and redo it."""
    for _ in range(attempts - 1):
        try:
            return action()
        except (Unavailable, requests.RequestException) as error:
            REDONE.append(f"{time.strftime('%H:%M:%S')} {error}"[:200])
            wait_ready(running)
    return action()


def wait_ready(running: Cluster, timeout: float = 180) -> None:
    """Until the cluster and, from chapter 3 on, Elasticsearch answer again (the tests stop both)."""
    running.wait_ready(timeout)
    deadline = time.monotonic() + timeout
    while running.chapter >= 3 and time.monotonic() < deadline:
        try:
            if requests.get(f"http://{ES_SERVER}/_cluster/health", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(1)


def redone() -> None:
    """Say which measurements were redone because the cluster was unavailable."""
    print(f"   redone after the cluster was unavailable: {len(REDONE)}")
    for line in REDONE:
        print(f"     {line}")


def worker(master: int) -> int:
    """The gunicorn worker of a server: the only child of its master process."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _stat(int(entry.name))[1] == master:
            return int(entry.name)
    raise RuntimeError(f"no worker process under {master}")


# ---------------------------------------------------------------- payloads and transfers

def payload(size: int, tag: str = "a") -> Path:
    """A file of ``size`` random bytes, made once (``tag`` gives distinct contents)."""
    path = FILES / f"{tag}-{size}.bin"
    if not path.exists() or path.stat().st_size != size:
        FILES.mkdir(exist_ok=True)
        with open(f"{path}.part", "wb") as out:
            for _ in range(0, size, 16 * MiB):
                out.write(os.urandom(min(16 * MiB, size - out.tell())))
        os.replace(f"{path}.part", path)
        Path(f"{path}.sha256").unlink(missing_ok=True)
    return path


def digest_of(path: Path) -> str:
    """``SHA-256=<base64>`` of a payload file (cached beside it)."""
    cache = Path(f"{path}.sha256")
    if not cache.exists():
        sha = hashlib.sha256()
        with open(path, "rb") as data:
            while chunk := data.read(4 * MiB):
                sha.update(chunk)
        cache.write_text(base64.b64encode(sha.digest()).decode())
    return "SHA-256=" + cache.read_text()


@dataclass
class Transfer:
    """One timed transfer and the CPU share (% of one core) each watched process used meanwhile."""
    seconds: float
    nbytes: int
    first_byte: float | None              # GET: seconds until the first byte of the body
    cpu: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)  # the answer's headers (the last answer's, as sent)

    @property
    def mb_s(self) -> float:
        return self.nbytes / self.seconds / MB


def curl(method: str, url: str, upload: Path | None = None, headers=(), watch: dict | None = None,
         ok=("200",)) -> Transfer:
    """One curl PUT (``-T upload``) or GET (to /dev/null); ``watch`` maps labels to pids to meter.

    Dirty pages are flushed first (``sync``): the kernel's write-back of the transfer before (up to
    ~400 MB of shards) otherwise slows whichever transfer comes next, which alternates between the
    measured and the baseline path. Elasticsearch's translog fsync at the end of a PUT is the part
    it slows most.

    A status not in ``ok`` raises Unavailable; the answer's headers are in ``Transfer.headers``.
    """
    answer = ROOT / f"answer-{os.getpid()}"      # a PUT's (short) answer, shown if it is an error
    head = ROOT / f"headers-{os.getpid()}"
    command = ["curl", "-sS", "-X", method, "-o", str(answer) if upload else "/dev/null", "-H", "Expect:",
               "-D", str(head),
               "-w", "%{http_code} %{time_total} %{size_upload} %{size_download} %{time_starttransfer}", url]
    command += ["-T", str(upload)] if upload else []
    for header in headers:
        command += ["-H", header]
    watch = {**(watch or {}), "curl": "children"}
    os.sync()          # start clean: no write-back left over from the transfer before (or a payload file)
    before = {label: cpu_seconds(pid) for label, pid in watch.items()}
    out = subprocess.run(command, capture_output=True, text=True, timeout=600).stdout.split()
    text = answer.read_text(errors="replace")[:120] if upload and answer.exists() else ""
    answer.unlink(missing_ok=True)
    lines = head.read_text(errors="replace").splitlines() if head.exists() else []
    head.unlink(missing_ok=True)
    if not out or out[0] not in ok:
        raise Unavailable(f"curl {method} {url} answered {out[:1]} {text}")
    seconds = float(out[1])
    cpu = {label: 100 * (cpu_seconds(pid) - before[label]) / seconds for label, pid in watch.items()}
    received = dict(line.split(": ", 1) for line in lines if ": " in line)
    return Transfer(seconds, int(float(out[2]) + float(out[3])), None if upload else float(out[4]), cpu,
                    received)


# ---------------------------------------------------------------- processes

def cpu_seconds(pid) -> float:
    """User + system CPU seconds of ``pid`` (a list: their sum; "children": our reaped children)."""
    if pid == "children":
        usage = os.times()
        return usage.children_user + usage.children_system
    if isinstance(pid, (list, tuple)):
        return sum(cpu_seconds(p) for p in pid)
    fields = _stat(pid)
    return (fields[11] + fields[12]) / CLK_TCK


class RssSampler:
    """Peak resident memory of ``pid`` while the ``with`` block runs, in MB.

    ``peak`` is the highest VmRSS sampled every 20 ms; ``hwm`` is the kernel's VmHWM, reset at the
    start (``clear_refs``), which also catches peaks between samples.
    """

    def __init__(self, pid: int, interval: float = 0.02):
        self.pid, self.interval = pid, interval
        self.start = self.peak = self.hwm = 0.0
        self._stop = threading.Event()

    def __enter__(self):
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")   # 5: reset the peak RSS
        self.start = self.peak = _status_mb(self.pid, "VmRSS")
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()
        self.hwm = _status_mb(self.pid, "VmHWM")

    def _sample(self):
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, _status_mb(self.pid, "VmRSS"))


def rss_mb(pid: int) -> float:
    """The current resident memory of ``pid`` in MB."""
    return _status_mb(pid, "VmRSS")


def _stat(pid: int) -> list:
    """Fields of /proc/<pid>/stat after the command name: [state, ppid, ...] (ints where numeric)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return [None, None] + [0] * 20
    return [int(f) if f.lstrip("-").isdigit() else f for f in text.rsplit(")", 1)[1].split()]


def _status_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024 / MB
    raise KeyError(key)


# ---------------------------------------------------------------- statistics and output

def percentile(values, p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def banner(title: str) -> None:
    """The benchmark's title and how busy the machine is (2 cores are shared with the tests)."""
    print(f"== {title}")
    print(f"   {time.strftime('%Y-%m-%d %H:%M:%S')}, {os.cpu_count()} cores, {load()}")


def load() -> str:
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def table(headers: list, rows: list) -> None:
    """Print ``rows`` under ``headers`` in aligned columns (floats with 1 decimal)."""
    cells = [[f"{c:.1f}" if isinstance(c, float) else str(c) for c in row] for row in [headers] + rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if n == 0:
            print("  ".join("-" * w for w in widths))


RATE_HEADERS = ["best MB/s", "median MB/s", "1st byte ms", "api CPU%", "data CPU%", "curl CPU%"]


def rate_row(label: str, transfers: list) -> list:
    """A table row under RATE_HEADERS: best and median rate, medians of first byte and CPU shares."""
    rates = [t.mb_s for t in transfers]
    first = [1000 * t.first_byte for t in transfers if t.first_byte is not None]
    cpu = [median([t.cpu[key] for t in transfers]) for key in ("api", "data", "curl")]
    return [label, max(rates), median(rates), median(first) if first else "-", *cpu]


def verdict(label: str, value: float, op: str, target: float, unit: str = "") -> None:
    """One target line: the measured value, the target, PASS or MISS."""
    ok = value >= target if op == ">=" else value <= target
    print(f"   {label}: {value:.2f}{unit} (target {op} {target}{unit}) {'PASS' if ok else 'MISS'}")
