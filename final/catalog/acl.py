"""Access control lists: QingStor's (and S3's) grants of a permission to a user or to a group.

A grantee is a user's name (their canonical id here) or one of S3's two groups, everyone
(``AllUsers``) and every signed-in user (``AuthenticatedUsers``). ``FULL_CONTROL`` includes the
other permissions. The canned ACLs of S3 are built by ``canned``.
"""
from dataclasses import dataclass, field

READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL = "READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"
PERMISSIONS = (READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL)
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
GROUPS = (ALL_USERS, AUTHENTICATED_USERS)
XSI_TYPES = {"user": "CanonicalUser", "group": "Group"}
CANNED = ("private", "public-read", "public-read-write", "authenticated-read", "bucket-owner-read",
          "bucket-owner-full-control")


class UnknownCannedAcl(ValueError):
    """Not one of S3's canned ACLs."""


@dataclass(frozen=True)
class Grant:
    grantee: str            # a user's name, or a group's URI
    permission: str

    @property
    def is_group(self) -> bool:
        return self.grantee in GROUPS


@dataclass
class Acl:
    owner: str
    grants: list = field(default_factory=list)

    def allows(self, user: str | None, permission: str) -> bool:
        """Whether ``user`` (None: anonymous) has ``permission`` (the owner may always read and
        change the ACL itself, as in S3)."""
        if user is not None and user == self.owner and permission in (READ_ACP, WRITE_ACP):
            return True
        return any(self._matches(g.grantee, user) and g.permission in (permission, FULL_CONTROL)
                   for g in self.grants)

    @staticmethod
    def _matches(grantee: str, user: str | None) -> bool:
        return grantee == ALL_USERS or (user is not None and grantee in (user, AUTHENTICATED_USERS))

    def to_json(self) -> dict:
        return {"owner": self.owner, "grants": [[g.grantee, g.permission] for g in self.grants]}

    @classmethod
    def from_json(cls, data: dict, owner: str) -> "Acl":
        if not data:
            return canned("private", owner)
        return cls(data.get("owner", owner), [Grant(g, p) for g, p in data.get("grants", [])])


def canned(name: str, owner: str, bucket_owner: str | None = None) -> Acl:
    """S3's canned ACL ``name`` for a resource ``owner`` owns (in a bucket ``bucket_owner`` owns)."""
    if name not in CANNED:
        raise UnknownCannedAcl(name)
    grants = [Grant(owner, FULL_CONTROL)]
    if name in ("public-read", "public-read-write"):
        grants.append(Grant(ALL_USERS, READ))
    if name == "public-read-write":
        grants.append(Grant(ALL_USERS, WRITE))
    if name == "authenticated-read":
        grants.append(Grant(AUTHENTICATED_USERS, READ))
    if name.startswith("bucket-owner-") and bucket_owner and bucket_owner != owner:
        grants.append(Grant(bucket_owner, READ if name == "bucket-owner-read" else FULL_CONTROL))
    return Acl(owner, grants)
