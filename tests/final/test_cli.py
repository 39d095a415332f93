"""``objstore``, the command-line client (issue 21), run as a user runs it (the console script, in
its own process) against the test cluster: every command, resumed uploads and downloads after
``kill -9``, a changed source that starts over, corrupted partial downloads, and the errors a script
relies on (exit codes, one line, no traceback)."""
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.final import s3

OBJSTORE = str(Path(sys.executable).parent / "objstore")
PART_MIB = 1                           # parts of 1 MiB: many parts for small files


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def env(front, tmp_path_factory):
    access, secret = s3.USERS["alice"]
    state = tmp_path_factory.mktemp("objstore-state")
    return {**os.environ, "AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_DEFAULT_REGION": s3.REGION, "OBJSTORE_ENDPOINT_URL": f"http://{front}",
            "OBJSTORE_STATE_DIR": str(state), "AWS_CONFIG_FILE": str(state / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(state / "none")}


@pytest.fixture(scope="module")
def bucket(env):
    name = s3.bucket_name("cli")
    assert objstore(env, "mb", f"s3://{name}").returncode == 0
    return name


def objstore(env, *args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([OBJSTORE, *args], env=env, capture_output=True, text=True, timeout=timeout)


def ok(run: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    return run


def killed_midway(env, args: list[str], done, how=signal.SIGKILL) -> subprocess.Popen:
    """Start ``objstore args`` and ``kill -9`` it (or send ``how``) once ``done()`` says it is far enough."""
    process = subprocess.Popen([OBJSTORE, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not done() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, "it finished before it could be killed"
    process.send_signal(how)
    process.wait(timeout=60)
    return process


class TestCommands:
    def test_cp_ls_cat_du_mv_rm_presign(self, env, bucket, tmp_path, alice):
        small = tmp_path / "notes.txt"
        small.write_text("hello objstore\n")
        ok(objstore(env, "cp", str(small), f"s3://{bucket}/docs/"))
        assert alice.get_object(Bucket=bucket, Key="docs/notes.txt")["ContentType"] == "text/plain"
        assert ok(objstore(env, "cat", f"s3://{bucket}/docs/notes.txt")).stdout == "hello objstore\n"
        listed = ok(objstore(env, "ls", f"s3://{bucket}/")).stdout
        assert "PRE docs/" in listed.replace(" " * 3, "")
        assert "notes.txt" in ok(objstore(env, "ls", "-r", f"s3://{bucket}/docs/")).stdout
        document = json.loads(ok(objstore(env, "--json", "ls", f"s3://{bucket}/docs/")).stdout)
        entry = document["keys"][0]
        assert document["name"] == bucket and entry["key"] == "docs/notes.txt" and entry["size"] == 15
        assert entry["mime_type"] == "text/plain" and isinstance(entry["modified"], int) and entry["created"].endswith("Z")
        assert json.loads(ok(objstore(env, "du", "--json", f"s3://{bucket}/docs/")).stdout)["bytes"] == 15
        url = ok(objstore(env, "presign", "--expires-in", "60", f"s3://{bucket}/docs/notes.txt")).stdout.strip()
        assert requests.get(url, timeout=30).content == b"hello objstore\n"
        ok(objstore(env, "mv", f"s3://{bucket}/docs/notes.txt", f"s3://{bucket}/moved.txt"))
        back = tmp_path / "back.txt"
        ok(objstore(env, "cp", f"s3://{bucket}/moved.txt", str(back)))
        assert back.read_text() == "hello objstore\n"
        assert objstore(env, "cat", f"s3://{bucket}/docs/notes.txt").returncode == 1
        ok(objstore(env, "rm", f"s3://{bucket}/moved.txt"))
        run = objstore(env, "rm", f"s3://{bucket}/moved.txt")
        assert run.returncode == 1 and "404" in run.stderr and "Traceback" not in run.stderr

    def test_recursive_cp_and_sync_of_many_small_files(self, env, bucket, tmp_path):
        tree = tmp_path / "site"
        for n in range(60):
            (tree / f"d{n % 4}").mkdir(parents=True, exist_ok=True)
            (tree / f"d{n % 4}" / f"f{n}.bin").write_bytes(os.urandom(100 + n))
        ok(objstore(env, "cp", "-r", str(tree), f"s3://{bucket}/site"))
        again = ok(objstore(env, "sync", str(tree), f"s3://{bucket}/site"))
        assert "0 file(s) transferred" in again.stderr
        (tree / "d1" / "f1.bin").write_bytes(b"changed")
        changed = ok(objstore(env, "sync", str(tree), f"s3://{bucket}/site"))
        assert "1 file(s) transferred" in changed.stderr and "d1/f1.bin" in changed.stdout
        copy = tmp_path / "copy"
        ok(objstore(env, "cp", "-r", f"s3://{bucket}/site/", str(copy)))
        for path in tree.rglob("*.bin"):
            assert (copy / path.relative_to(tree)).read_bytes() == path.read_bytes()
        assert "0 file(s)" in ok(objstore(env, "sync", f"s3://{bucket}/site/", str(copy))).stderr
        assert json.loads(ok(objstore(env, "du", "--json", f"s3://{bucket}/site/")).stdout)["objects"] == 60
        ok(objstore(env, "rm", "-r", f"s3://{bucket}/site/"))
        assert json.loads(ok(objstore(env, "du", "--json", f"s3://{bucket}/site/")).stdout)["objects"] == 0

    def test_mb_and_rb(self, env):
        name = s3.bucket_name("cli-rb")
        ok(objstore(env, "mb", f"s3://{name}"))
        assert name in ok(objstore(env, "ls")).stdout
        run = objstore(env, "mb", f"s3://{name}")
        assert run.returncode == 1 and "BucketAlreadyOwnedByYou" in run.stderr
        ok(objstore(env, "rb", f"s3://{name}"))
        assert name not in ok(objstore(env, "ls")).stdout


class TestErrors:
    def test_exit_codes_and_one_line_messages(self, env, bucket, tmp_path):
        file = tmp_path / "f"
        file.write_bytes(b"x")
        cases = [
            ({"OBJSTORE_ENDPOINT_URL": "http://127.0.0.1:1"}, ["ls"], 3, "cannot reach"),
            ({"AWS_SECRET_ACCESS_KEY": "wrong"}, ["ls"], 1, "SignatureDoesNotMatch"),
            ({"AWS_ACCESS_KEY_ID": "nobody"}, ["ls"], 1, "InvalidAccessKeyId"),
            ({}, ["ls", "s3://no-such-bucket-here/"], 1, "NoSuchBucket"),
            ({}, ["cp", str(file), "s3://no-such-bucket-here/f"], 1, "NoSuchBucket"),
            ({}, ["cp", str(tmp_path / "missing"), f"s3://{bucket}/f"], 2, "no such file"),
            ({}, ["cp", "a", "b"], 2, "s3://"),
            ({"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}, ["ls"], 4, "no credentials"),
        ]
        for changes, args, status, message in cases:
            run = objstore({**env, **changes}, *args)
            assert (run.returncode, "Traceback" in run.stderr) == (status, False), (args, run.stderr)
            assert message in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr


class TestResume:
    def test_an_upload_killed_midway_resumes_and_sends_only_what_is_missing(self, env, bucket, tmp_path, alice):
        data = os.urandom((40 << 20) + 123)
        source = tmp_path / "big.bin"
        source.write_bytes(data)
        args = ["--jobs", "2", "--part-size", str(PART_MIB), "cp", str(source), f"s3://{bucket}/resumed.bin"]

        def uploads():
            return alice.list_multipart_uploads(Bucket=bucket, Prefix="resumed.bin").get("Uploads", [])

        def parts_there() -> int:
            found = uploads()
            return len(alice.list_parts(Bucket=bucket, Key="resumed.bin", UploadId=found[0]["UploadId"])
                       .get("Parts", [])) if found else 0

        killed_midway(env, args, lambda: parts_there() >= 12)
        there = parts_there()
        assert 12 <= there < 41
        resumed = ok(objstore(env, *args))
        assert f"{there} of 41 parts are on the server" in resumed.stderr
        got = alice.get_object(Bucket=bucket, Key="resumed.bin")
        assert sha(got["Body"].read()) == sha(data) and got["ETag"].endswith('-41"')
        assert uploads() == [] and list(Path(env["OBJSTORE_STATE_DIR"]).rglob("*.json")) == []

    def test_ctrl_c_stops_at_once_and_the_upload_resumes(self, env, bucket, tmp_path, alice):
        data = os.urandom(24 << 20)
        source = tmp_path / "interrupted.bin"
        source.write_bytes(data)
        args = ["--jobs", "2", "--part-size", str(PART_MIB), "cp", str(source), f"s3://{bucket}/interrupted.bin"]
        state = Path(env["OBJSTORE_STATE_DIR"])
        stopped = killed_midway(env, args, lambda: any(len(json.loads(p.read_text() or "{}").get("parts", {})) >= 4
                                                       for p in state.rglob("*.json") if not p.name.startswith(".")),
                                how=signal.SIGINT)
        assert stopped.returncode == 130 and "run the same command again" in stopped.stderr.read()
        resumed = ok(objstore(env, *args))
        assert "resuming upload" in resumed.stderr
        assert sha(alice.get_object(Bucket=bucket, Key="interrupted.bin")["Body"].read()) == sha(data)

    def test_a_changed_source_starts_over(self, env, bucket, tmp_path, alice):
        source = tmp_path / "changing.bin"
        source.write_bytes(os.urandom(30 << 20))
        args = ["--jobs", "1", "--part-size", str(PART_MIB), "cp", str(source), f"s3://{bucket}/changing.bin"]
        state = Path(env["OBJSTORE_STATE_DIR"])
        killed_midway(env, args, lambda: any(len(json.loads(p.read_text() or "{}").get("parts", {})) >= 3
                                             for p in state.rglob("*.json") if not p.name.startswith(".")))
        new = os.urandom((30 << 20) + 1)
        source.write_bytes(new)
        run = ok(objstore(env, *args))
        assert "changed since the interrupted upload" in run.stderr
        assert sha(alice.get_object(Bucket=bucket, Key="changing.bin")["Body"].read()) == sha(new)
        assert alice.list_multipart_uploads(Bucket=bucket, Prefix="changing.bin").get("Uploads", []) == []

    def test_a_download_killed_midway_resumes_and_checks_what_it_kept(self, env, bucket, tmp_path, alice):
        data = os.urandom(24 << 20)
        source = tmp_path / "up.bin"
        source.write_bytes(data)
        ok(objstore(env, "--part-size", str(PART_MIB), "cp", str(source), f"s3://{bucket}/down.bin"))
        target = tmp_path / "down.bin"
        partial = tmp_path / "down.bin.objstore-download.json"
        args = ["--jobs", "1", "--part-size", str(PART_MIB), "cp", f"s3://{bucket}/down.bin", str(target)]
        killed_midway(env, args, lambda: partial.exists() and len(json.loads(partial.read_text() or "{}")
                                                                  .get("pieces", {})) >= 6)
        assert not target.exists()
        pieces = json.loads(partial.read_text())["pieces"]
        offset, length, _ = pieces["p2"]
        with open(tmp_path / "down.bin.objstore-download", "r+b") as temp:   # damage a kept piece
            temp.seek(offset + 10)
            temp.write(b"\0" * 100)
        run = ok(objstore(env, *args))
        assert f"{len(pieces) - 1} of 24 pieces kept" in run.stderr
        assert sha(target.read_bytes()) == sha(data)
        assert not partial.exists() and not (tmp_path / "down.bin.objstore-download").exists()

    def test_a_download_that_does_not_check_is_not_renamed_into_place(self, env, bucket, tmp_path, cluster):
        """A simple object whose stored MD5 (ETag) disagrees with its bytes: refused, nothing written."""
        from tests.final.test_s3_multipart import INDEX, es_url
        data = os.urandom(3 << 20)
        source = tmp_path / "plain.bin"
        source.write_bytes(data)
        ok(objstore(env, "--part-size", "8", "cp", str(source), f"s3://{bucket}/plain.bin"))
        name = f"{bucket}/plain.bin"
        requests.post(f"{es_url()}/{INDEX}-s3-heads/_refresh", timeout=30)
        head = requests.get(f"{es_url()}/{INDEX}-s3-heads/_search", timeout=30,
                            json={"query": {"term": {"name": name}}}).json()["hits"]["hits"][0]
        record = head["_source"]
        record["info"]["etag"] = "0" * 32
        answer = requests.put(f"{es_url()}/{head['_index']}/_doc/{head['_id']}", json=record,
                              params={"refresh": "true"}, timeout=30)
        assert answer.status_code == 200
        target = tmp_path / "plain-back.bin"
        run = objstore(env, "--part-size", str(PART_MIB), "cp", f"s3://{bucket}/plain.bin", str(target))
        assert run.returncode == 1 and "the ETag is" in run.stderr and not target.exists()
