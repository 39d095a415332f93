"""``python -m chapter08_maintenance.delete_old_metadata`` (book §4.8 ``deleteOldMetadata``).

Env: ``ES_SERVER`` (and ``ES_INDEX``). Keeps each name's ``KEEP`` newest version documents and
deletes the others, for every name however many there are, by listing the versions that really
exist (gaps allowed; the book assumed contiguous numbers and saw only 10 names per run). The
newest version always stays, so a deleted name (a tombstone on top) stays deleted. Re-runnable.
"""
import logging

from chapter08_maintenance.common.es import MaintenanceMetadata
from chapter08_maintenance.common.tool import run

KEEP = 5

log = logging.getLogger("delete_old_metadata")


def delete_old_metadata(config: dict, metadata: MaintenanceMetadata, keep: int = KEEP) -> bool:
    names = deleted = 0
    for name, count in metadata.names_with_more_than(keep):
        names += 1
        versions = list(metadata.versions(name))
        for record in versions[:-keep]:
            if metadata.delete_version(record):
                deleted += 1
                log.info("%r: deleted version %d (%d versions, keeping the %d newest)", name, record.version,
                         len(versions), keep)
    log.info("done: %d names had more than %d versions, %d version documents deleted", names, keep, deleted)
    return True


if __name__ == "__main__":
    run(delete_old_metadata)
