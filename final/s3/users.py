"""The S3 users: names with their access and secret keys (interfaces.md, ``S3_USERS_FILE``).

``S3_USERS_FILE`` is JSON, ``{"users": [{"name": "alice", "access_key": "…", "secret_key": "…"}]}``;
without it there is one user, ``S3_ACCESS_KEY``/``S3_SECRET_KEY`` (default ``objstore`` /
``objstore-secret``, for a machine of one's own: the server says so in its log). A user's name is
its canonical id and display name wherever S3 shows an owner.
"""
import json
import logging
import re
from dataclasses import dataclass

log = logging.getLogger(__name__)

DEFAULT_ACCESS, DEFAULT_SECRET = "objstore", "objstore-secret"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}\Z")


@dataclass(frozen=True)
class User:
    name: str
    access_key: str
    secret_key: str


class Users:
    """Users by access key, and by name."""

    def __init__(self, users: list[User]):
        self.by_key = {u.access_key: u for u in users}
        self.by_name = {u.name: u for u in users}

    @classmethod
    def from_config(cls, config: dict) -> "Users":
        path = config.get("S3_USERS_FILE", "")
        if path:
            with open(path) as file:
                entries = json.load(file)["users"]
            users = [User(e["name"], e["access_key"], e["secret_key"]) for e in entries]
            bad = [u.name for u in users if not NAME.match(u.name)]
            if bad or not users:
                raise ValueError(f"S3_USERS_FILE: names must be 1-64 of A-Z a-z 0-9 . _ @ -: {bad}")
            return cls(users)
        access, secret = config["S3_ACCESS_KEY"], config["S3_SECRET_KEY"]
        if (access, secret) == (DEFAULT_ACCESS, DEFAULT_SECRET):
            log.warning("S3 users: the default key pair %s / %s (set S3_USERS_FILE or S3_ACCESS_KEY and "
                        "S3_SECRET_KEY before anyone else can reach this server)", access, secret)
        return cls([User(access, access, secret)])
