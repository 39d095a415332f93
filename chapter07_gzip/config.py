"""Chapter 7 settings: chapter 6's plus the compression level of shards at rest."""
from chapter01_single.config import Setting
from chapter06_resumable.config import SETTINGS as CHAPTER6_SETTINGS  # unchanged since chapter 6
from chapter06_resumable.config import load as load_settings


def level(text: str) -> int:
    """An ISA-L gzip level, 0 (fastest) to 3."""
    value = int(text)
    if not 0 <= value <= 3:
        raise ValueError("GZIP_LEVEL is 0 to 3")
    return value


SETTINGS = CHAPTER6_SETTINGS + (Setting("GZIP_LEVEL", "1", level),)


def load(settings=SETTINGS, environ=None) -> dict:
    return load_settings(settings, environ)
