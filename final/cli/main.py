"""``objstore``: the command-line client of the store (or of any S3 endpoint), built on boto3.

    objstore [--endpoint-url URL] [--quiet] [--json] COMMAND ...
    mb s3://b | rb [--force] s3://b | ls [-r] [s3://b[/prefix]] | du s3://b[/prefix]
    cp [-r] SRC DST | mv [-r] SRC DST | sync SRC DST | rm [-r] s3://b/k | cat s3://b/k
    presign [--expires-in S] s3://b/k

SRC and DST are local paths or ``s3://bucket/key``. Credentials and the region come from the
environment or the AWS files, as for the AWS CLI; the endpoint from ``--endpoint-url``,
``OBJSTORE_ENDPOINT_URL`` or ``AWS_ENDPOINT_URL``. Exit codes: 0 done, 1 the store refused or a
transfer failed (the message says why), 2 bad usage, 3 the endpoint cannot be reached, 4 no
credentials, 130 interrupted (an interrupted ``cp`` resumes when run again).
"""
import argparse
import base64
import hashlib
import json
import mimetypes
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import (BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError,
                                 ConnectionClosedError, ReadTimeoutError)
from tqdm import tqdm

from final.cli.transfer import MiB, Download, Options, TransferError, Upload, md5_of

REFUSED, USAGE, UNREACHABLE, NO_CREDENTIALS, INTERRUPTED = 1, 2, 3, 4, 130


class Usage(Exception):
    """A command line that does not make sense (exit 2)."""


def parse_s3(text: str) -> tuple[str, str] | None:
    """(bucket, key) of ``s3://bucket/key``; None for a local path."""
    if not text.startswith("s3://"):
        return None
    bucket, _, key = text[5:].partition("/")
    if not bucket:
        raise Usage(f"{text!r}: no bucket")
    return bucket, key


class Cli:
    def __init__(self, args):
        self.args = args
        self.endpoint = args.endpoint_url or os.environ.get("OBJSTORE_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL")
        state_dir = Path(os.environ.get("OBJSTORE_STATE_DIR") or Path.home() / ".cache" / "objstore")
        self.options = Options(args.jobs, args.part_size * MiB, state_dir, self.news)
        # integrity is Content-MD5 on the way up and the ETag check on the way down: no CRC32 besides,
        # which would cost CPU on both ends for nothing more
        config = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                        retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=max(10, args.jobs + 2),
                        connect_timeout=10, read_timeout=120, request_checksum_calculation="when_required",
                        response_checksum_validation="when_required")
        self.s3 = boto3.session.Session().client("s3", endpoint_url=self.endpoint, config=config)

    # ------------------------------------------------------------------ output

    def news(self, line: str) -> None:
        if not self.args.quiet:
            print(line, file=sys.stderr)

    def out(self, line: str) -> None:
        if not self.args.quiet:
            print(line)

    def progress(self, total: int, name: str):
        return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=name[-30:], leave=False,
                    disable=self.args.quiet or not sys.stderr.isatty(), dynamic_ncols=True, smoothing=0.1)

    # ------------------------------------------------------------------ commands

    def mb(self):
        bucket, _ = self.bucket_of(self.args.target)
        self.s3.create_bucket(Bucket=bucket)
        self.out(f"make_bucket: {bucket}")

    def rb(self):
        bucket, _ = self.bucket_of(self.args.target)
        if self.args.force:
            self.remove_all(bucket, "")
        self.s3.delete_bucket(Bucket=bucket)
        self.out(f"remove_bucket: {bucket}")

    def ls(self):
        if not self.args.target:
            buckets = self.s3.list_buckets()["Buckets"]
            if self.args.json:
                print(json.dumps({"buckets": [{"name": b["Name"], "created": b["CreationDate"].isoformat()}
                                              for b in buckets]}))
            for b in buckets if not self.args.json else []:
                print(f"{b['CreationDate']:%Y-%m-%d %H:%M:%S} {b['Name']}")
            return
        bucket, prefix = self.bucket_of(self.args.target)
        delimiter = "" if self.args.recursive or self.args.json else "/"
        keys, prefixes = [], []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter=delimiter):
            keys += page.get("Contents", [])
            prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        if self.args.json:                   # QingStor's list-objects shape
            with ThreadPoolExecutor(16) as pool:      # the listing has no content type: a HEAD each
                types = pool.map(lambda o: self.s3.head_object(Bucket=bucket, Key=o["Key"]).get("ContentType", ""), keys)
                print(json.dumps({"name": bucket, "prefix": prefix, "keys": [
                    {"key": o["Key"], "size": o["Size"], "modified": int(o["LastModified"].timestamp()),
                     "mime_type": kind, "created": o["LastModified"].strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                     "etag": o["ETag"].strip('"')} for o, kind in zip(keys, types)]}))
            return
        for p in prefixes:
            print(f"{'PRE':>30} {p}")
        for o in keys:
            print(f"{o['LastModified']:%Y-%m-%d %H:%M:%S} {o['Size']:>10} {o['Key']}")

    def du(self):
        bucket, prefix = self.bucket_of(self.args.target)
        count = size = 0
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            count += len(page.get("Contents", []))
            size += sum(o["Size"] for o in page.get("Contents", []))
        if self.args.json:
            print(json.dumps({"bucket": bucket, "prefix": prefix, "objects": count, "bytes": size}))
        else:
            print(f"{size}\t{count} objects\ts3://{bucket}/{prefix}")

    def cat(self):
        bucket, key = self.object_of(self.args.target)
        body = self.s3.get_object(Bucket=bucket, Key=key)["Body"]
        for chunk in body.iter_chunks(MiB):
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()

    def presign(self):
        bucket, key = self.object_of(self.args.target)
        print(self.s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                             ExpiresIn=self.args.expires_in))

    def rm(self):
        bucket, key = self.bucket_of(self.args.target)
        if self.args.recursive:
            self.remove_all(bucket, key)
            return
        if not key:
            raise Usage("rm of a bucket: use rb, or rm -r s3://bucket/")
        self.s3.head_object(Bucket=bucket, Key=key)       # NoSuchKey: say so, as a script expects
        self.s3.delete_object(Bucket=bucket, Key=key)
        self.out(f"delete: s3://{bucket}/{key}")

    def cp(self, move: bool = False):
        pairs = self.pairs(self.args.source, self.args.destination, self.args.recursive, sync=False)
        self.transfer(pairs, move)

    def mv(self):
        self.cp(move=True)

    def sync(self):
        self.transfer(self.pairs(self.args.source, self.args.destination, True, sync=True), False)

    # ------------------------------------------------------------------ transfers

    def pairs(self, source: str, destination: str, recursive: bool, sync: bool) -> list[tuple]:
        """(source, destination, size) of each file to transfer; for ``sync``, only those that differ."""
        src, dst = parse_s3(source), parse_s3(destination)
        if src is None and dst is None:
            raise Usage("one of SRC and DST must be s3://…")
        if not recursive:
            if src is None:
                path = Path(source)
                if not path.is_file():
                    raise Usage(f"{source}: no such file (a directory needs -r)")
                key = dst[1] + path.name if not dst[1] or dst[1].endswith("/") else dst[1]
                return [(path, (dst[0], key), path.stat().st_size)]
            if not src[1]:
                raise Usage(f"{source}: no key (a whole bucket needs -r)")
            if dst is None:
                target = Path(destination)
                target = target / Path(src[1]).name if target.is_dir() or destination.endswith("/") else target
                return [(src, target, None)]
            key = dst[1] + Path(src[1]).name if not dst[1] or dst[1].endswith("/") else dst[1]
            return [(src, (dst[0], key), None)]
        if src is None:
            root = Path(source)
            if not root.is_dir():
                raise Usage(f"{source}: not a directory")
            prefix = dst[1] if not dst[1] or dst[1].endswith("/") else dst[1] + "/"
            remote = self.listing(dst[0], prefix) if sync else {}
            found = []
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                key = prefix + path.relative_to(root).as_posix()
                if not sync or not same(path, remote.get(key)):
                    found.append((path, (dst[0], key), path.stat().st_size))
            return found
        prefix = src[1] if not src[1] or src[1].endswith("/") else src[1] + "/"
        found = []
        for key, entry in sorted(self.listing(src[0], prefix).items()):
            relative = key[len(prefix):]
            if not relative or relative.endswith("/") or ".." in Path(relative).parts or relative.startswith("/"):
                self.news(f"skipped: s3://{src[0]}/{key} (no safe local name)")
                continue
            if dst is None:
                target = Path(destination) / relative
                if not sync or not same(target, entry):
                    found.append(((src[0], key), target, entry["Size"]))
            else:
                found.append(((src[0], key), (dst[0], (dst[1].rstrip("/") + "/" if dst[1] else "") + relative), entry["Size"]))
        return found

    def listing(self, bucket: str, prefix: str) -> dict:
        found = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found.update({o["Key"]: o for o in page.get("Contents", [])})
        return found

    def transfer(self, pairs: list[tuple], move: bool) -> None:
        """Big files one after the other (each in parallel parts), small ones side by side."""
        big = [p for p in pairs if p[2] is None or p[2] > self.options.part_size]
        small = [p for p in pairs if p not in big]
        with ThreadPoolExecutor(self.args.jobs) as pool:
            for future in [pool.submit(self.one, *p, move) for p in small]:
                future.result()
        for pair in big:
            self.one(*pair, move)
        if len(pairs) != 1 or getattr(self.args, "recursive", True):
            self.news(f"{len(pairs)} file(s) transferred")

    def one(self, source, destination, size, move: bool) -> None:
        verb = "move" if move else "copy"
        if isinstance(source, Path):
            verb = "upload" if not move else verb
            self.upload(source, destination)
            shown = f"{source} to s3://{destination[0]}/{destination[1]}"
        elif isinstance(destination, Path):
            verb = "download" if not move else verb
            self.download(source, destination)
            shown = f"s3://{source[0]}/{source[1]} to {destination}"
        else:
            self.s3.copy_object(Bucket=destination[0], Key=destination[1],
                                CopySource={"Bucket": source[0], "Key": source[1]})
            shown = f"s3://{source[0]}/{source[1]} to s3://{destination[0]}/{destination[1]}"
        if move:
            if isinstance(source, Path):
                source.unlink()
            else:
                self.s3.delete_object(Bucket=source[0], Key=source[1])
        self.out(f"{verb}: {shown}")

    def upload(self, path: Path, target: tuple[str, str]) -> None:
        size = path.stat().st_size
        extra = {"ContentType": mimetypes.guess_type(path.name)[0] or "binary/octet-stream"}
        with self.progress(size, path.name) as bar:
            if size <= self.options.part_size:
                data = path.read_bytes()
                digest = base64.b64encode(hashlib.md5(data).digest()).decode()
                self.s3.put_object(Bucket=target[0], Key=target[1], Body=data, ContentMD5=digest, **extra)
                bar.update(size)
            else:
                Upload(self.s3, self.endpoint or "", target[0], target[1], path, self.options, bar, extra).run()

    def download(self, source: tuple[str, str], path: Path) -> None:
        head = self.s3.head_object(Bucket=source[0], Key=source[1])
        path.parent.mkdir(parents=True, exist_ok=True)
        with self.progress(head["ContentLength"], source[1]) as bar:
            Download(self.s3, source[0], source[1], path, self.options, bar, head).run()

    def remove_all(self, bucket: str, prefix: str) -> None:
        keys = list(self.listing(bucket, prefix))
        for start in range(0, len(keys), 1000):
            batch = keys[start:start + 1000]
            answer = self.s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
            if answer.get("Errors"):
                failed = answer["Errors"][0]
                raise TransferError(f"delete s3://{bucket}/{failed['Key']}: {failed['Code']} {failed['Message']}")
            for key in batch:
                self.out(f"delete: s3://{bucket}/{key}")

    def bucket_of(self, target: str) -> tuple[str, str]:
        found = parse_s3(target or "")
        if found is None:
            raise Usage(f"{target!r} is not s3://bucket[/key]")
        return found

    def object_of(self, target: str) -> tuple[str, str]:
        bucket, key = self.bucket_of(target)
        if not key:
            raise Usage(f"{target!r} names no key")
        return bucket, key


def same(path: Path, entry: dict | None) -> bool:
    """Whether a local file and a listed object hold the same bytes, as far as sync can tell cheaply:
    the same size, and the MD5 when the ETag is one (else the object is newer than the file)."""
    if entry is None or not path.is_file() or path.stat().st_size != entry["Size"]:
        return False
    etag = entry["ETag"].strip('"')
    if len(etag) == 32 and "-" not in etag:
        with open(path, "rb") as file:
            return md5_of(file.fileno(), 0, entry["Size"]) == etag
    return entry["LastModified"].timestamp() >= path.stat().st_mtime


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="objstore", description="The command-line client of the store (or of "
                                  "any S3 endpoint): SRC and DST are local paths or s3://bucket/key.",
                                  epilog="exit codes: 0 done, 1 refused or failed, 2 usage, 3 endpoint "
                                         "unreachable, 4 no credentials, 130 interrupted")
    top.add_argument("--endpoint-url", help="the S3 endpoint (default: $OBJSTORE_ENDPOINT_URL, $AWS_ENDPOINT_URL)")
    top.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    top.add_argument("--json", action="store_true", help="ls and du print JSON")
    top.add_argument("--jobs", "-j", type=int, default=8, help="parallel requests (default 8)")
    top.add_argument("--part-size", type=int, default=8, metavar="MiB", help="part size in MiB (default 8)")
    commands = top.add_subparsers(dest="command", required=True)
    for name, text in (("mb", "make a bucket"), ("rb", "remove a bucket"), ("ls", "list buckets or keys"),
                       ("du", "count the keys and bytes under a prefix"), ("cat", "write an object to stdout"),
                       ("presign", "a presigned GET URL"), ("rm", "remove keys")):
        command = commands.add_parser(name, help=text)
        command.add_argument("target", nargs="?" if name == "ls" else None)
        if name in ("ls", "rm"):
            command.add_argument("--recursive", "-r", action="store_true")
        if name == "rb":
            command.add_argument("--force", action="store_true", help="remove its keys first")
        if name == "presign":
            command.add_argument("--expires-in", type=int, default=3600, help="seconds (default 3600)")
    for name, text in (("cp", "copy files and objects (resumes an interrupted transfer)"),
                       ("mv", "move files and objects"), ("sync", "copy what differs, recursively")):
        command = commands.add_parser(name, help=text)
        command.add_argument("source")
        command.add_argument("destination")
        if name != "sync":
            command.add_argument("--recursive", "-r", action="store_true")
    for command in commands.choices.values():   # the common options also after the command
        for flag in ("--quiet", "--json"):
            command.add_argument(flag, action="store_true", default=argparse.SUPPRESS)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.jobs < 1 or args.part_size < 1:
        print("objstore: --jobs and --part-size are at least 1", file=sys.stderr)
        return USAGE
    try:
        cli = Cli(args)
        getattr(cli, args.command)()
        return 0
    except Usage as failure:
        print(f"objstore: {failure}", file=sys.stderr)
        return USAGE
    except KeyboardInterrupt:
        print("\nobjstore: interrupted (run the same command again to resume a cp)", file=sys.stderr)
        sys.stderr.flush()
        os._exit(INTERRUPTED)               # not waiting for the parts in flight
    except ClientError as failure:
        error = failure.response.get("Error", {})
        code = error.get("Code") or failure.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        print(f"objstore: {failure.operation_name}: {code}: {error.get('Message') or _status_text(code)}", file=sys.stderr)
        return REFUSED
    except NoCredentialsError:
        print("objstore: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or ~/.aws/credentials)",
              file=sys.stderr)
        return NO_CREDENTIALS
    except (EndpointConnectionError, ConnectionClosedError, ReadTimeoutError) as failure:
        print(f"objstore: cannot reach the endpoint: {failure}", file=sys.stderr)
        return UNREACHABLE
    except (TransferError, OSError) as failure:
        print(f"objstore: {failure}", file=sys.stderr)
        return REFUSED
    except BotoCoreError as failure:
        print(f"objstore: {failure}", file=sys.stderr)
        return REFUSED


def _status_text(code) -> str:
    return {"404": "not found", "403": "forbidden", "400": "bad request"}.get(str(code), "")


if __name__ == "__main__":
    sys.exit(main())
