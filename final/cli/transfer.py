"""Transfers that survive interruption: a multipart upload and a ranged download, both in parallel.

**Upload.** A file bigger than one part goes up as a multipart upload, ``jobs`` parts at once. A
small state file (JSON, never pickle: it is read back) names the upload and the source as it was
(path, size, modification time, part size). Run again after an interruption (Ctrl-C, ``kill -9``,
a network cut, a dead api server), it finds the upload, asks the server which parts it has
(ListParts) and skips a part only if the server's ETag equals the MD5 of the local bytes of that
part, now: the state file points, the server and the file decide. A source that changed since
(size or time) starts a new upload (the old one is aborted).

**Download.** Ranged GETs, ``jobs`` at once, into ``<file>.objstore-download``, each written at its
offset, each with ``If-Match`` on the ETag (an object replaced meanwhile is noticed). A multipart
object is fetched part by part (``partNumber``), so the MD5 of each part is known and the whole is
checked against S3's ETag (``md5(part MD5s)-N``); any other object is checked against its MD5 when
its ETag is one. The file is renamed into place only once it checks; a partial download resumes,
and the pieces it kept are hashed again before they are trusted.
"""
import base64
import hashlib
import json
import os
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import ClientError

MiB = 1 << 20
MAX_PARTS = 10000
STATE_VERSION = 1


class TransferError(Exception):
    """A transfer that cannot finish as asked (the message says why)."""


@dataclass
class Options:
    jobs: int = 8
    part_size: int = 8 * MiB
    state_dir: Path = Path.home() / ".cache" / "objstore"
    say: object = print            # one line of news (a resume, a restart)


def part_size_for(size: int, wanted: int) -> int:
    """``wanted``, grown (in whole MiB) so that ``size`` fits in 10,000 parts."""
    least = -(-size // MAX_PARTS)
    return max(wanted, -(-least // MiB) * MiB)


def md5_of(fd: int, offset: int, length: int) -> str:
    digest, done = hashlib.md5(), 0
    while done < length:
        chunk = os.pread(fd, min(8 * MiB, length - done), offset + done)
        if not chunk:
            break
        digest.update(chunk)
        done += len(chunk)
    return digest.hexdigest()


def save_json(path: Path, document: dict) -> None:
    """Write ``document`` whole or not at all (temp file, rename), readable by its owner only. Not
    fsynced: a state file lost in a power cut costs a restart, never a wrong result (what it says is
    checked against the server and the bytes before it is used), and an fsync per part would flush
    the download's own data each time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    with open(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        json.dump(document, out)
    os.replace(temp, path)


def load_json(path: Path) -> dict | None:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) and document.get("version") == STATE_VERSION else None


def _run(jobs: int, work, items) -> None:
    """``work(item)`` for every item, ``jobs`` at once; the first failure stops the rest and is raised."""
    pool = ThreadPoolExecutor(jobs, thread_name_prefix="objstore")
    try:
        futures = [pool.submit(work, item) for item in items]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in done:
            future.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


class Upload:
    """``path`` to ``bucket``/``key`` as a multipart upload that resumes."""

    def __init__(self, s3, endpoint: str, bucket: str, key: str, path: Path, options: Options, progress,
                 extra: dict | None = None):
        self.s3, self.bucket, self.key, self.path = s3, bucket, key, path.resolve()
        self.options, self.progress, self.extra = options, progress, extra or {}
        self.stat = self.path.stat()
        self.part_size = part_size_for(self.stat.st_size, options.part_size)
        name = hashlib.sha256(f"{endpoint}\n{bucket}\n{key}\n{self.path}".encode()).hexdigest()[:32]
        self.state_path = options.state_dir / "uploads" / f"{name}.json"
        self.lock = threading.Lock()

    @property
    def count(self) -> int:
        return max(1, -(-self.stat.st_size // self.part_size))

    def span(self, number: int) -> tuple[int, int]:
        offset = (number - 1) * self.part_size
        return offset, min(self.part_size, self.stat.st_size - offset)

    def source(self) -> dict:
        return {"path": str(self.path), "size": self.stat.st_size, "mtime_ns": self.stat.st_mtime_ns,
                "part_size": self.part_size, "bucket": self.bucket, "key": self.key}

    def run(self) -> dict:
        """Upload (or finish uploading) the file; the CompleteMultipartUpload answer."""
        with open(self.path, "rb") as file:
            fd = file.fileno()
            upload_id, done = self.resume(fd)
            if upload_id is None:
                upload_id = self.s3.create_multipart_upload(Bucket=self.bucket, Key=self.key, **self.extra)["UploadId"]
                self.state = {"version": STATE_VERSION, "upload_id": upload_id, "source": self.source(), "parts": {}}
                save_json(self.state_path, self.state)
            todo = [n for n in range(1, self.count + 1) if n not in done]
            _run(self.options.jobs, lambda number: self.send(fd, upload_id, number, done), todo)
        if os.stat(self.path).st_mtime_ns != self.stat.st_mtime_ns:
            raise TransferError(f"{self.path} changed while it was uploaded: run the command again")
        parts = [{"PartNumber": n, "ETag": f'"{done[n]}"'} for n in sorted(done)]
        answer = self.s3.complete_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=upload_id,
                                                   MultipartUpload={"Parts": parts})
        self.state_path.unlink(missing_ok=True)
        return answer

    def resume(self, fd: int) -> tuple[str | None, dict[int, str]]:
        """(upload id, {part number: MD5} of the parts the server has and the file agrees with), or
        (None, {}) to start anew."""
        state = load_json(self.state_path)
        if state is None:
            return None, {}
        self.state = state
        upload_id = state.get("upload_id")
        if state.get("source") != self.source():
            self.options.say(f"{self.path} changed since the interrupted upload (or its part size did): starting over")
            self._abort(upload_id)
            return None, {}
        try:
            listed = self._listed(upload_id)
        except ClientError as failure:
            if failure.response["Error"]["Code"] != "NoSuchUpload":
                raise
            self.options.say("the interrupted upload is gone from the server: starting over")
            return None, {}
        done = {}
        for number, (etag, size) in listed.items():
            if 1 <= number <= self.count and size == self.span(number)[1] \
                    and etag == md5_of(fd, *self.span(number)):
                done[number] = etag
                self.progress.update(size)
        self.options.say(f"resuming upload {upload_id}: {len(done)} of {self.count} parts are on the server")
        return upload_id, done

    def send(self, fd: int, upload_id: str, number: int, done: dict) -> None:
        data = os.pread(fd, self.span(number)[1], self.span(number)[0])
        digest = hashlib.md5(data)
        answer = self.s3.upload_part(Bucket=self.bucket, Key=self.key, UploadId=upload_id, PartNumber=number,
                                     Body=data, ContentMD5=base64.b64encode(digest.digest()).decode())
        if answer["ETag"].strip('"') != digest.hexdigest():
            raise TransferError(f"part {number}: the server's ETag {answer['ETag']} is not the part's MD5")
        with self.lock:
            done[number] = digest.hexdigest()
            self.state["parts"][str(number)] = done[number]
            save_json(self.state_path, self.state)
        self.progress.update(len(data))

    def _listed(self, upload_id: str) -> dict[int, tuple[str, int]]:
        listed, marker = {}, 0
        while True:
            page = self.s3.list_parts(Bucket=self.bucket, Key=self.key, UploadId=upload_id, PartNumberMarker=marker)
            for part in page.get("Parts", []):
                listed[part["PartNumber"]] = (part["ETag"].strip('"'), part["Size"])
            if not page.get("IsTruncated"):
                return listed
            marker = page["NextPartNumberMarker"]

    def _abort(self, upload_id: str | None) -> None:
        self.state_path.unlink(missing_ok=True)
        if upload_id:
            try:
                self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=upload_id)
            except ClientError:
                pass


class Download:
    """``bucket``/``key`` to ``path``, in ranged pieces, resumable, checked before it is renamed into place."""

    def __init__(self, s3, bucket: str, key: str, path: Path, options: Options, progress, head: dict):
        self.s3, self.bucket, self.key, self.path = s3, bucket, key, path
        self.options, self.progress = options, progress
        self.etag, self.size = head["ETag"].strip('"'), head["ContentLength"]
        self.temp = path.with_name(path.name + ".objstore-download")
        self.state_path = path.with_name(path.name + ".objstore-download.json")
        self.lock = threading.Lock()
        base, _, parts = self.etag.partition("-")
        self.parts = int(parts) if parts.isdigit() and len(base) == 32 else 0

    def pieces(self) -> list[tuple[str, int | None, tuple[int, int] | None]]:
        """(name, part number, byte span) of every piece: the parts of a multipart object, else ranges."""
        if self.parts:
            return [(f"p{n}", n, None) for n in range(1, self.parts + 1)]
        step = self.options.part_size
        return [(f"r{offset}", None, (offset, min(offset + step, self.size) - 1)) for offset in range(0, self.size, step)]

    def run(self) -> None:
        state = load_json(self.state_path)
        fresh = state is None or (state.get("etag"), state.get("size")) != (self.etag, self.size) \
            or not self.temp.exists()
        if fresh:
            state = {"version": STATE_VERSION, "etag": self.etag, "size": self.size, "pieces": {}}
        self.state = state
        with open(self.temp, "r+b" if not fresh else "w+b") as file:
            file.truncate(self.size)
            fd = file.fileno()
            kept = self.kept(fd)
            if not fresh:
                self.options.say(f"resuming the download of s3://{self.bucket}/{self.key}: "
                                 f"{len(kept)} of {len(self.pieces())} pieces kept")
            state["pieces"] = kept
            save_json(self.state_path, state)
            _run(self.options.jobs, lambda piece: self.fetch(fd, piece),
                 [piece for piece in self.pieces() if piece[0] not in kept])
            self.check(fd)
            os.fsync(fd)
        os.replace(self.temp, self.path)
        self.state_path.unlink(missing_ok=True)

    def kept(self, fd: int) -> dict:
        """The pieces of a partial download whose bytes still hash as recorded."""
        kept = {}
        for name, (offset, length, digest) in self.state.get("pieces", {}).items():
            if md5_of(fd, offset, length) == digest:
                kept[name] = [offset, length, digest]
                self.progress.update(length)
        return kept

    def fetch(self, fd: int, piece) -> None:
        name, number, span = piece
        ask = {"PartNumber": number} if number else {"Range": f"bytes={span[0]}-{span[1]}"}
        try:
            answer = self.s3.get_object(Bucket=self.bucket, Key=self.key, IfMatch=f'"{self.etag}"', **ask)
        except ClientError as failure:
            if failure.response["Error"]["Code"] in ("PreconditionFailed", "412"):
                self._forget()
                raise TransferError(f"s3://{self.bucket}/{self.key} changed during the download: run it again")
            raise
        offset = span[0] if span else int(answer["ContentRange"].split()[1].split("-")[0])
        digest, written, body = hashlib.md5(), 0, answer["Body"]
        try:
            for chunk in body.iter_chunks(MiB):
                os.pwrite(fd, chunk, offset + written)
                digest.update(chunk)
                written += len(chunk)
                self.progress.update(len(chunk))
        finally:
            body.close()
        if written != answer["ContentLength"]:
            raise TransferError(f"piece {name}: {written} bytes of {answer['ContentLength']} arrived")
        with self.lock:
            self.state["pieces"][name] = [offset, written, digest.hexdigest()]
            save_json(self.state_path, self.state)

    def check(self, fd: int) -> None:
        """The whole against the ETag: S3's multipart ETag from the parts' MD5s, or the MD5."""
        if self.parts:
            md5s = [bytes.fromhex(self.state["pieces"][f"p{n}"][2]) for n in range(1, self.parts + 1)]
            got = hashlib.md5(b"".join(md5s)).hexdigest() + f"-{self.parts}"
        elif len(self.etag) == 32:
            got = md5_of(fd, 0, self.size)
        else:
            return                          # an ETag that is no MD5 (encrypted on AWS): nothing to check
        if got != self.etag:
            self._forget()
            raise TransferError(f"s3://{self.bucket}/{self.key}: the bytes received hash to {got}, the ETag is "
                                f"{self.etag}: nothing written")

    def _forget(self) -> None:
        self.state_path.unlink(missing_ok=True)
        self.temp.unlink(missing_ok=True)
