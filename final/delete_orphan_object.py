"""``python -m final.delete_orphan_object``: chapter 8's tool, aware of containers.

The candidates are the data server's shard files and its containers' keys (``GET /containers/``
on ``LISTEN_ADDRESS``: each key with the time its record was written, for the grace rule). The same
rules keep or move them; the data server's ``DELETE /objects/<key>?before=`` appends a delete mark
for a container record, with the same time and pin checks as for files. Multipart uploads started
more than ``UPLOAD_TTL`` ago are aborted first, so their parts' content is collected too.
"""
import json
import logging
import time
from pathlib import Path

from chapter02_distributed.common.objectstream import request, url
from chapter08_maintenance.common.tool import run  # unchanged since chapter 8
from chapter08_maintenance.delete_orphan_object import delete_orphan_object, shard_keys
from final import config as settings
from final.catalog.maintenance import MaintenanceMetadata
from final.catalog.uploads import Uploads
from final.ops.logs import setup_logging

log = logging.getLogger("delete_orphan_object")


def candidates(config: dict) -> dict[str, float]:
    """Every key this data server holds, shard files and container records, with its newest time."""
    keys = shard_keys(Path(config["STORAGE_ROOT"]) / "objects")
    response = request("GET", url(config["LISTEN_ADDRESS"], "containers", ""), stream=True)
    try:
        if response.status_code != 200:
            raise OSError(f"the data server answered {response.status_code} to GET /containers/")
        for line in response.iter_lines():
            entry = json.loads(line)
            keys[entry["key"]] = max(keys.get(entry["key"], 0.0), float(entry["time"]))
    finally:
        response.close()
    return keys


def expire_uploads(config: dict) -> None:
    """Abort the multipart uploads started more than ``UPLOAD_TTL`` ago, and forget the part
    documents of finished ones (left by a Complete or an Abort that stopped half-way), so that
    nothing refers to those parts' content any more but the objects made of them."""
    uploads, now = Uploads(config["ES_SERVER"], config["ES_INDEX"]), time.time()
    for upload in uploads.older_than(config["UPLOAD_TTL"]):
        if uploads.change(upload, state="aborted", finished=now) is not None:
            log.info("upload %s of %s/%s: older than UPLOAD_TTL, aborted", upload.upload_id, upload.bucket,
                     upload.key)
    for upload in uploads.finished():
        if upload.state == "completed" and not upload.written:
            if now - upload.finished <= config["UPLOAD_TTL"]:
                continue                     # a Complete cut off half-way: the next one finishes it
            upload = uploads.change(upload, state="aborted")     # no one asked again: never answered 200
            if upload is None:
                continue
            log.info("upload %s: completed but never written, and older than UPLOAD_TTL: aborted", upload.upload_id)
        uploads.drop_parts(upload.upload_id)
        if now - upload.finished > config["UPLOAD_TTL"]:
            uploads.forget(upload)
        else:
            uploads.change(upload, dropped=True)


def collect(config: dict, metadata) -> bool:
    expire_uploads(config)
    return delete_orphan_object(config, metadata, candidates)


if __name__ == "__main__":
    setup_logging(settings.load())
    run(collect, MaintenanceMetadata, settings)
