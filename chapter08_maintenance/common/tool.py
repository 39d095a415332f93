"""What the three tools share: logging to stderr, settings, and an exit status that says it all."""
import logging
import sys
from typing import Callable

from chapter01_single.app import setup_logging
from chapter08_maintenance import config as settings
from chapter08_maintenance.common.es import MaintenanceMetadata

log = logging.getLogger("maintenance")


def run(tool: Callable[[dict, MaintenanceMetadata], bool], metadata_class=MaintenanceMetadata,
        config_module=settings) -> None:
    """Run ``tool(config, metadata)``; exit 0 if it returns True, 1 if it fails or returns False.
    (A later increment passes its own metadata client and settings.)"""
    setup_logging()
    try:
        config = config_module.load()
        metadata = metadata_class(config["ES_SERVER"], config["ES_INDEX"])
        metadata.require_versions()
        ok = tool(config, metadata)
    except Exception as error:     # a tool run from cron must say why it failed, not crash silently
        log.error("failed: %s", error, exc_info=not isinstance(error, (OSError, ValueError)))
        ok = False
    sys.exit(0 if ok else 1)
