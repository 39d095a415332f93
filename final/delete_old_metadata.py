"""``python -m final.delete_old_metadata``: chapter 8's tool (book §4.8) on the book's names, and on
S3 keys, which keep only their newest version (S3 without versioning: an overwritten or deleted
object is gone). Replicas or shards no version refers to any more are left to
``final.delete_orphan_object``."""
from chapter08_maintenance.common.tool import run  # unchanged since chapter 8
from chapter08_maintenance.delete_old_metadata import delete_old_metadata
from final import config as settings
from final.catalog.maintenance import MaintenanceMetadata
from final.ops.logs import setup_logging


def collect(config: dict, metadata: MaintenanceMetadata) -> bool:
    done = delete_old_metadata(config, metadata) if metadata.has_book_names() else True
    keys = metadata.keys()
    return (delete_old_metadata(config, keys, keep=1) if keys is not None else True) and done


if __name__ == "__main__":
    setup_logging(settings.load())
    run(collect, MaintenanceMetadata, settings)
