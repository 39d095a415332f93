"""final/'s settings: chapter 8's, plus the small-object containers (interfaces.md, "final/")."""
from chapter01_single.config import Setting, seconds, switch
from chapter08_maintenance.config import SETTINGS as CHAPTER8_SETTINGS  # unchanged since chapter 8
from chapter08_maintenance.config import load as load_settings

MAX_SMALL = (1 << 24) - (1 << 12)        # a container record's length must fit 24 bits


def small_limit(text: str) -> int:
    """Bytes; 0 sends every object the big way (shard files)."""
    value = int(text)
    if not 0 <= value <= MAX_SMALL:
        raise ValueError(f"SMALL_OBJECT_LIMIT is 0 to {MAX_SMALL}")
    return value


def size(text: str) -> int:
    value = int(text)
    if value < 4096:
        raise ValueError("at least 4096 bytes")
    return value


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("at least 1")
    return value


def ratio(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise ValueError("a fraction between 0 and 1")
    return value


def log_format(text: str) -> str:
    if text not in ("text", "json"):
        raise ValueError("text or json")
    return text


def day(text: str) -> float:
    value = seconds(text)
    if value <= 0:
        raise ValueError("more than 0 seconds")
    return value


def hosts(text: str) -> frozenset:
    """``host`` (any port) or ``host:port`` entries, lower-cased."""
    return frozenset(item.strip().lower() for item in text.split(",") if item.strip())


SETTINGS = CHAPTER8_SETTINGS + (
    Setting("SMALL_OBJECT_LIMIT", "1048576", small_limit),   # objects this small are kept as 3 replicas
    Setting("CONTAINER_SIZE", "1073741824", size),           # a data server starts a new container past this
    Setting("COMPACT_RATIO", "0.5", ratio),                  # a container this dead is compacted
    Setting("COMPACT_INTERVAL", "30", seconds),              # how often a data server looks for such
    Setting("S3_USERS_FILE", ""),                            # JSON users; unset: the one user below
    Setting("S3_ACCESS_KEY", "objstore"),
    Setting("S3_SECRET_KEY", "objstore-secret"),
    Setting("S3_REGION", "us-east-1"),
    Setting("MULTIPART_MIN_PART", "5242880", positive),      # the smallest part of a multipart upload but the last
    Setting("BOOK_API", "on", switch),                       # off: the unauthenticated /objects/ … are 404
    Setting("UI_SECRET_KEY", ""),                            # signs /ui/'s sessions; unset: derived from the users
    Setting("LOG_FORMAT", "text", log_format),               # json: one JSON object per log line
    Setting("LIFECYCLE_INTERVAL", "3600", seconds),          # python -m final.lifecycle: between runs
    Setting("LIFECYCLE_DAY_SECONDS", "86400", day),          # a lifecycle rule's "day" (tests shorten it)
    Setting("WEBHOOK_ALLOWED_HOSTS", "", hosts),             # the only hosts notification webhooks may call
    Setting("EVENTS", "on", switch),                         # off: objects created or removed are not told
)


def load(settings=SETTINGS, environ=None) -> dict:
    return load_settings(settings, environ)
