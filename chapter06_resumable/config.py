"""Chapter 6 settings: chapter 3's plus the life of an unfinished upload and the upload secret."""
from chapter01_single.config import Setting, seconds
from chapter03_metadata.config import SETTINGS as CHAPTER3_SETTINGS  # unchanged since chapter 3
from chapter03_metadata.config import load as load_settings

SETTINGS = CHAPTER3_SETTINGS + (
    Setting("UPLOAD_TTL", "86400", seconds),    # an unfinished upload and its temps live this long
    Setting("UPLOAD_SECRET", ""),               # HMAC key of upload tokens; empty: shared via Elasticsearch
)


def load(settings=SETTINGS, environ=None) -> dict:
    return load_settings(settings, environ)
