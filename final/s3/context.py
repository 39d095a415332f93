"""What every S3 operation is handed: the request as S3 sees it, and the parts of the store.

``Call`` is one request: its method, bucket and key (decoded from the raw path: ``a//b`` and ``x/``
stay distinct keys), query, headers, the signed-in user (None: anonymous) and its request id.
``Store`` is the composition root's parts: the object pipeline, the buckets and keys catalogs, the
users, the region. Handlers also find the ACL checks here (``allow``).
"""
import re
from dataclasses import dataclass, field

from final.catalog.acl import Acl
from final.catalog.buckets import Bucket, Buckets
from final.catalog.keys import Keys
from final.s3.errors import error
from final.s3.users import Users


@dataclass
class Call:
    method: str
    bucket: str
    key: str
    query: dict
    headers: object                  # werkzeug Headers (case-insensitive)
    user: object                     # users.User, or None
    request_id: str
    path: str                        # the raw path, for error documents
    body: object = None              # the request's body stream
    length: int | None = None        # its Content-Length
    params: set = field(default_factory=set)   # the S3 subresources named in the query
    verified: object = None                      # sigv4.Verified of a signed request
    events: list = field(default_factory=list)   # (event name, version): objects it created or removed
    found: Bucket | None = None                  # its bucket, as read by ``Store.bucket``

    def told(self, name: str, record) -> None:
        """Record that this call created or removed ``record`` (events are sent once it succeeded)."""
        self.events.append((name, record))

    @property
    def user_name(self) -> str | None:
        return self.user.name if self.user else None

    def arg(self, name: str, default: str | None = None) -> str | None:
        return self.query.get(name, default)


@dataclass
class Store:
    objects: object                  # final/'s Objects pipeline
    buckets: Buckets
    keys: Keys
    users: Users
    region: str
    uploads: object = None           # the multipart uploads (catalog.uploads.Uploads)
    min_part: int = 5 << 20          # MULTIPART_MIN_PART
    webhook_hosts: frozenset = frozenset()       # WEBHOOK_ALLOWED_HOSTS

    def bucket(self, call: Call) -> Bucket:
        """The call's bucket, or NoSuchBucket."""
        found = self.buckets.get(call.bucket)
        if found is None:
            raise error("NoSuchBucket")
        call.found = found
        return found


def digits(text: str | None, width: int = 10) -> int | None:
    """The whole number ``text`` spells in at most ``width`` ASCII digits, else None (``str.isdigit``
    takes "²" and 5,000 digits, which ``int`` then refuses)."""
    if text is None or not re.fullmatch(f"[0-9]{{1,{width}}}", text):
        return None
    return int(text)


def allow(acl: Acl, call: Call, permission: str) -> None:
    """AccessDenied unless ``acl`` grants ``permission`` to the call's user (or to everyone)."""
    if not acl.allows(call.user_name, permission):
        raise error("AccessDenied")
