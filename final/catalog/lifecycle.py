"""A bucket's lifecycle rules, and when each applies (issue 23).

A rule has an id, a key prefix, a status, and up to three actions:
- ``expiration``: a current version ``days`` after it was written (or from a ``date`` on) gets a
  tombstone (the key is deleted; its versions are kept);
- ``noncurrent_days``: a version that stopped being current that many days ago is removed for good;
- ``abort_days``: a multipart upload started that many days ago is aborted.
As in S3, a time counted in days is rounded up to the next midnight (UTC): an object written at
10:00 with ``Days: 1`` expires at midnight after the next. A "day" is ``LIFECYCLE_DAY_SECONDS``
long (86400; tests shorten it), midnight being a multiple of it since the epoch.
"""
import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Rule:
    id: str
    prefix: str = ""
    enabled: bool = True
    days: int | None = None                 # Expiration/Days
    date: float | None = None               # Expiration/Date (seconds since the epoch, a midnight)
    noncurrent_days: int | None = None      # NoncurrentVersionExpiration/NoncurrentDays
    abort_days: int | None = None           # AbortIncompleteMultipartUpload/DaysAfterInitiation

    def covers(self, key: str) -> bool:
        return self.enabled and key.startswith(self.prefix)

    def expired(self, written: float, now: float, day: float) -> bool:
        """Whether a current version written at ``written`` is past this rule's expiration."""
        if self.days is not None:
            return now >= due(written, self.days, day)
        return self.date is not None and now >= self.date

    def noncurrent_expired(self, superseded: float, now: float, day: float) -> bool:
        """Whether a version that stopped being current at ``superseded`` (0: unknown) is past due."""
        return self.noncurrent_days is not None and superseded > 0 and now >= due(superseded, self.noncurrent_days, day)

    def abort_due(self, initiated: float, now: float, day: float) -> bool:
        return self.abort_days is not None and now >= due(initiated, self.abort_days, day)


def due(start: float, days: int, day: float) -> float:
    """``days`` days after ``start``, rounded up to the next midnight."""
    return math.ceil((start + days * day) / day) * day


def to_json(rules: list[Rule]) -> dict:
    return {"rules": [asdict(rule) for rule in rules]} if rules else {}


def from_json(configuration: dict) -> list[Rule]:
    return [Rule(**rule) for rule in (configuration or {}).get("rules", [])]
