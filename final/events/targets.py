"""A bucket's notification configuration: webhooks, and the events each one is sent.

S3's ``NotificationConfiguration`` document, where each ``TopicConfiguration`` (or
``QueueConfiguration``, ``CloudFunctionConfiguration``: QingStor's callbacks, kept as sent) names a
webhook URL in place of an ARN, the events it wants (``s3:ObjectCreated:*``, ``s3:ObjectRemoved:Delete``
…) and optional key filters (``prefix``, ``suffix``). A URL must be ``http`` or ``https`` with a
host listed in ``WEBHOOK_ALLOWED_HOSTS`` (``host`` for any port, or ``host:port``), no user and no
fragment: a configuration can never make the notifier call anywhere else (SSRF). Kept as JSON in the
bucket's document (``{"targets": [...]}``); an empty configuration removes them all.
"""
import fnmatch
import uuid
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

from final.events.records import NAMES
from final.s3 import xml
from final.s3.errors import error

KINDS = {"TopicConfiguration": "Topic", "QueueConfiguration": "Queue",
         "CloudFunctionConfiguration": "CloudFunction"}
EVENTS = {f"s3:{name}" for name in NAMES} | {f"s3:{name.split(':')[0]}:*" for name in NAMES}
MAX_TARGETS = 100
MAX_URL = 2048


@dataclass
class Target:
    id: str
    url: str
    events: list
    kind: str = "TopicConfiguration"
    prefix: str = ""
    suffix: str = ""
    rules: list = field(default_factory=list)     # the filter rules' names as sent (their case kept)

    def wants(self, name: str, key: str) -> bool:
        """Whether an event ``name`` (``ObjectCreated:Put``) of ``key`` goes to this target."""
        return any(fnmatch.fnmatchcase(f"s3:{name}", pattern) for pattern in self.events) \
            and key.startswith(self.prefix) and key.endswith(self.suffix)


def allowed(url: str, hosts) -> bool:
    """Whether ``url`` may be called: http(s), no user or fragment, its host (or host:port) listed."""
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host or parts.username is not None or parts.fragment \
            or len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in url):
        return False
    port = port or (443 if parts.scheme == "https" else 80)
    return host in hosts or f"{host}:{port}" in hosts


def from_document(body: bytes, hosts) -> dict:
    """The configuration a PutBucketNotificationConfiguration sends (S3's errors when it is wrong)."""
    tree = xml.parse(body, "NotificationConfiguration")
    targets, seen = [], set()
    for node in tree:
        if node.tag not in KINDS:
            raise error("InvalidArgument", f"{node.tag[:60]} is not supported: a webhook is a "
                                           "TopicConfiguration, QueueConfiguration or CloudFunctionConfiguration")
        target = _target(node, hosts)
        if target.id in seen:
            raise error("InvalidArgument", "Configuration Ids must be unique.")
        seen.add(target.id)
        targets.append(asdict(target))
    if len(targets) > MAX_TARGETS:
        raise error("InvalidArgument", f"at most {MAX_TARGETS} configurations")
    return {"targets": targets} if targets else {}


def _target(node, hosts) -> Target:
    url = xml.text(node, KINDS[node.tag], "") or ""
    if not allowed(url, hosts):
        raise error("InvalidArgument", "Unable to validate the following destination configurations: "
                                       f"{url[:200]!r} (a webhook's host must be in WEBHOOK_ALLOWED_HOSTS)")
    events = [(item.text or "").strip() for item in node.findall("Event")]
    if not events:
        raise error("InvalidArgument", "A configuration names at least one Event.")
    unknown = [name for name in events if name not in EVENTS]
    if unknown:
        raise error("InvalidArgument", f"The event is not supported for notifications: {unknown[0][:80]}")
    ident = xml.text(node, "Id") or uuid.uuid4().hex
    if len(ident) > 255:
        raise error("InvalidArgument", "An Id is at most 255 characters.")
    target = Target(ident, url, events, node.tag)
    for rule in node.findall("Filter/S3Key/FilterRule"):
        name, value = xml.text(rule, "Name", "") or "", xml.text(rule, "Value", "") or ""
        which = name.lower()
        if which not in ("prefix", "suffix") or which in [r.lower() for r in target.rules] or len(value) > 1024:
            raise error("InvalidArgument", "FilterRule names are prefix or suffix, each at most once.")
        setattr(target, which, value)
        target.rules.append(name)
    return target


def document(configuration: dict) -> bytes:
    """The GetBucketNotificationConfiguration answer."""
    entries = []
    for item in configuration.get("targets", []):
        target = Target(**item)
        content = [("Id", target.id), (KINDS[target.kind], target.url), *[("Event", e) for e in target.events]]
        if target.rules:
            content.append(("Filter", [("S3Key", [
                ("FilterRule", [("Name", name), ("Value", getattr(target, name.lower()))]) for name in target.rules])]))
        entries.append((target.kind, content))
    return xml.document("NotificationConfiguration", entries)


def matching(configuration: dict, name: str, key: str) -> list[dict]:
    """The targets (``{"id", "url"}``) an event ``name`` of ``key`` goes to."""
    return [{"id": item["id"], "url": item["url"]} for item in configuration.get("targets", [])
            if Target(**item).wants(name, key)]
