"""objstore against the AWS CLI on final/ (issue 21): 1 GiB up and down, resume after kill -9, api memory.

One final/ cluster (port 22345, default MULTIPART_MIN_PART of 5 MiB), user objstore, both clients
pointed at api server 1.
1. A 1 GiB random file uploaded by ``aws s3 cp`` (the AWS CLI v1 of the test extras: 10 threads, 8 MiB
   parts) and by ``objstore cp`` (8 jobs, 8 MiB parts), then downloaded by each to a file (fsynced
   before the clock stops for both: ``sync``), 2 rounds alternating which goes first, new random
   content for every upload (same content would be deduplicated part by part): best MB/s.
2. ``objstore cp`` of the 1 GiB file (8 jobs, 8 MiB parts) killed with SIGKILL once the server lists
   half of the parts; under ``strace -e pread64`` (if installed), which counts the parts it read from
   the file (a part is read whole, in one ``pread``, before it is sent). Run again: the parts it finds
   on the server (its own "N of M parts" line). Parts sent again = read by run 1 - found by run 2; per
   worker.
3. Peak RSS of api server 1's worker while ``objstore cp`` sends a 512 MiB file in 64 MiB parts, 8 at
   once.
Targets (issue 21): objstore upload >= 1.5 x aws s3 cp MB/s, download >= 1.0 x; resume re-sends at most
one part per worker; api RSS <= 200 MB during 8 parallel 64 MiB parts.
Run: python bench/bench_cli.py [--quick]   (--quick: 256 MiB, 1 round)
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import boto3
from botocore.config import Config

from common import MB, MiB, RssSampler, banner, cluster, load, payload, table, verdict, worker

BIN = Path(sys.executable).parent
ACCESS, SECRET, REGION, BUCKET = "objstore", "objstore-secret", "us-east-1", "bench-cli"
DOWN = Path("/tmp/osd-bench-cli")


def env_for(api: str, state: Path) -> dict:
    return {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "OBJSTORE_ENDPOINT_URL": f"http://{api}", "OBJSTORE_STATE_DIR": str(state)}


def command(tool: str, api: str, source: str, target: str, extra=()) -> list[str]:
    if tool == "aws":
        return [str(BIN / "aws"), "--endpoint-url", f"http://{api}", "s3", "cp", "--no-progress", source, target]
    return [str(BIN / "objstore"), "--quiet", *extra, "cp", source, target]


def timed(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    run = subprocess.run(cmd, env=env, capture_output=True, text=True)
    os.sync()
    seconds = time.perf_counter() - start
    if run.returncode:
        raise RuntimeError(f"{cmd[0]} failed: {run.stderr[-800:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="256 MiB, 1 round")
    quick = parser.parse_args().quick
    size, rounds = (256 * MiB, 1) if quick else (1024 * MiB, 2)
    banner(f"objstore vs aws s3 cp on final/: {size // MiB} MiB, resume after kill -9, api RSS")
    DOWN.mkdir(exist_ok=True)
    state = DOWN / "state"
    with cluster(9) as running:
        api = running.api_servers[0].address
        env = env_for(api, state)
        s3 = boto3.client("s3", endpoint_url=f"http://{api}", region_name=REGION, aws_access_key_id=ACCESS,
                          aws_secret_access_key=SECRET, config=Config(signature_version="s3v4"))
        s3.create_bucket(Bucket=BUCKET)
        peak = memory(running, api, env)                      # first: a worker no transfer has grown yet
        rates = {(tool, op): [] for tool in ("aws", "objstore") for op in ("upload", "download")}
        for r in range(rounds):
            for tool in ("aws", "objstore") if r % 2 == 0 else ("objstore", "aws"):
                key, back = f"s3://{BUCKET}/{tool}-{r}", DOWN / f"{tool}-{r}.bin"
                source = payload(size, f"cli-{tool}-{r}")       # new content: no part is deduplicated
                rates[tool, "upload"].append(size / timed(command(tool, api, str(source), key), env) / MB)
                rates[tool, "download"].append(size / timed(command(tool, api, key, str(back)), env) / MB)
                if back.stat().st_size != size:
                    raise RuntimeError(f"{tool} downloaded {back.stat().st_size} bytes")
                back.unlink()
        table([f"{size // MiB} MiB", "best MB/s", "all MB/s"],
              [[f"{tool} {op}", max(rates[tool, op]), " ".join(f"{v:.0f}" for v in rates[tool, op])]
               for op in ("upload", "download") for tool in ("aws", "objstore")])
        up = max(rates["objstore", "upload"]) / max(rates["aws", "upload"])
        down = max(rates["objstore", "download"]) / max(rates["aws", "download"])
        wasted = resume(s3, api, env, payload(size, "cli-resume"), size)
    verdict("objstore / aws s3 cp upload MB/s", up, ">=", 1.5)
    verdict("objstore / aws s3 cp download MB/s", down, ">=", 1.0)
    verdict("parts sent for nothing per worker after kill -9 at 50 %", wasted, "<=", 1.0)
    verdict("api worker peak RSS during 8 parallel 64 MiB parts", peak, "<=", 200, " MB")
    shutil.rmtree(DOWN, ignore_errors=True)
    print(f"   after: {load()}")


def resume(s3, api: str, env: dict, source: Path, size: int) -> float:
    """Part 2: parts read (so sent, at least in part) for nothing, per worker."""
    jobs, part = 8, 8 * MiB
    key, count = "resumed", -(-size // part)
    cmd = [str(BIN / "objstore"), "--jobs", str(jobs), "cp", str(source), f"s3://{BUCKET}/{key}"]
    trace = DOWN / "pread.trace"
    strace = shutil.which("strace")
    traced = [strace, "-f", "-qq", "--seccomp-bpf", "-e", "trace=pread64", "-o", str(trace)] if strace else []
    process = subprocess.Popen([*traced, *cmd], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    there = 0
    while there < count // 2 and process.poll() is None:
        time.sleep(0.05)
        uploads = s3.list_multipart_uploads(Bucket=BUCKET, Prefix=key).get("Uploads", [])
        if uploads:
            there = len(s3.list_parts(Bucket=BUCKET, Key=key, UploadId=uploads[0]["UploadId"]).get("Parts", []))
    subprocess.run(["pkill", "-KILL", "-f", f"s3://{BUCKET}/{key}"])     # objstore (and strace around it)
    process.wait()
    started = sum(1 for line in trace.read_text().splitlines() if f"= {part}" in line) if strace else None
    again = subprocess.run(cmd, env=env, capture_output=True, text=True)
    found = re.search(r"(\d+) of (\d+) parts are on the server", again.stderr)
    if again.returncode or not found:
        raise RuntimeError(f"the resumed upload failed: {again.stderr[-800:]}")
    kept = int(found.group(1))
    if s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"] != size:
        raise RuntimeError("the resumed object has the wrong size")
    wasted = started - kept if started is not None else float("nan")
    table(["kill -9 at 50 %", "parts", "on server at kill", "read by run 1", "found by run 2", "sent again"],
          [["objstore cp, 8 jobs", count, there, started if started is not None else "no strace", kept, wasted]])
    return wasted / jobs


def memory(running, api: str, env: dict) -> float:
    """Part 3: the api worker's peak RSS (MB) during 8 parallel 64 MiB parts."""
    source = payload(512 * MiB, "cli-mem")
    pid = worker(running.api_servers[0].pid)
    with RssSampler(pid) as sampler:
        timed(command("objstore", api, str(source), f"s3://{BUCKET}/memory", ["--jobs", "8", "--part-size", "64"]), env)
    table(["8 x 64 MiB parts", "start MB", "peak MB", "VmHWM MB"], [["api worker", sampler.start, sampler.peak, sampler.hwm]])
    return max(sampler.peak, sampler.hwm)


if __name__ == "__main__":
    main()
