"""Chapter 8 settings: chapter 7's plus the orphan grace period and the garbage retention."""
from chapter01_single.config import Setting, seconds
from chapter07_gzip.config import SETTINGS as CHAPTER7_SETTINGS  # unchanged since chapter 7
from chapter07_gzip.config import load as load_settings

SETTINGS = CHAPTER7_SETTINGS + (
    Setting("ORPHAN_GRACE", "3600", seconds),           # younger shard files are never collected
    Setting("GARBAGE_RETENTION", "604800", seconds),    # garbage/ files older than this are purged
)


def load(settings=SETTINGS, environ=None) -> dict:
    return load_settings(settings, environ)
