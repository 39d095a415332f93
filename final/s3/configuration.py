"""A bucket's lifecycle rules and event notifications (issue 23): Put/Get/DeleteBucketLifecycleConfiguration
(``?lifecycle``) and Put/GetBucketNotificationConfiguration (``?notification``).

Only the bucket's owner reads or changes them. Lifecycle rules select keys by prefix (``Filter/Prefix``,
or the older ``Prefix``; tags and sizes are 501 ``NotImplemented``, as are transitions: this store has
one storage class) and act by ``Expiration`` (``Days`` or ``Date``), ``NoncurrentVersionExpiration``
(``NoncurrentDays``) and ``AbortIncompleteMultipartUpload`` (``DaysAfterInitiation``);
``python -m final.lifecycle`` applies them. Notifications: ``events.targets``.
"""
import uuid
from datetime import datetime, timezone

from flask import Response

from final.catalog import lifecycle
from final.events import targets
from final.s3 import xml
from final.s3.buckets import ok, read_small
from final.s3.context import Call, Store, digits
from final.s3.errors import error

MAX_RULES = 1000
UNSUPPORTED = {"Transition": "transitions (this store has one storage class)",
               "NoncurrentVersionTransition": "transitions (this store has one storage class)"}


def owned(store: Store, call: Call):
    bucket = store.bucket(call)
    if call.user_name is None or bucket.owner != call.user_name:
        raise error("AccessDenied")
    return bucket


def change(store: Store, bucket, which: str, value: dict) -> None:
    if not store.buckets.set_configuration(bucket, which, value):
        raise error("NoSuchBucket")          # deleted meanwhile


def get_lifecycle(store: Store, call: Call) -> Response:
    rules = lifecycle.from_json(owned(store, call).lifecycle)
    if not rules:
        raise error("NoSuchLifecycleConfiguration")
    return ok(xml.document("LifecycleConfiguration", [("Rule", _rule_content(rule)) for rule in rules]))


def put_lifecycle(store: Store, call: Call) -> Response:
    bucket = owned(store, call)
    tree = xml.parse(read_small(call), "LifecycleConfiguration")
    nodes = tree.findall("Rule")
    if not nodes or len(nodes) > MAX_RULES or len(nodes) != len(tree):
        raise error("MalformedXML", f"a LifecycleConfiguration is 1 to {MAX_RULES} Rule elements")
    rules = [_rule(node) for node in nodes]
    if len({rule.id for rule in rules}) != len(rules):
        raise error("InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule")
    change(store, bucket, "lifecycle", lifecycle.to_json(rules))
    return Response(status=200)


def delete_lifecycle(store: Store, call: Call) -> Response:
    change(store, owned(store, call), "lifecycle", {})
    return Response(status=204)


def _rule(node) -> lifecycle.Rule:
    for tag, what in UNSUPPORTED.items():
        if node.find(tag) is not None:
            raise error("NotImplemented", f"{what} are not implemented")
    ident = xml.text(node, "ID") or uuid.uuid4().hex
    if len(ident) > 255:
        raise error("InvalidArgument", "ID length should not exceed allowed limit of 255")
    status = xml.text(node, "Status")
    if status not in ("Enabled", "Disabled"):
        raise error("MalformedXML", "a Rule's Status is Enabled or Disabled")
    expiration, noncurrent, abort = (node.find(tag) for tag in (
        "Expiration", "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload"))
    if expiration is None and noncurrent is None and abort is None:
        raise error("InvalidRequest", "At least one action needs to be specified in a rule")
    days = date = noncurrent_days = abort_days = None
    if expiration is not None:
        if expiration.find("ExpiredObjectDeleteMarker") is not None:
            raise error("NotImplemented", "ExpiredObjectDeleteMarker is not implemented")
        if (expiration.find("Days") is None) == (expiration.find("Date") is None):
            raise error("MalformedXML", "an Expiration has Days or a Date")
        days = _days(expiration, "Days", "Expiration") if expiration.find("Days") is not None else None
        date = _date(xml.text(expiration, "Date")) if days is None else None
    if noncurrent is not None:
        if noncurrent.find("NewerNoncurrentVersions") is not None:
            raise error("NotImplemented", "NewerNoncurrentVersions is not implemented")
        noncurrent_days = _days(noncurrent, "NoncurrentDays", "NoncurrentVersionExpiration")
    if abort is not None:
        abort_days = _days(abort, "DaysAfterInitiation", "AbortIncompleteMultipartUpload")
    return lifecycle.Rule(ident, _prefix(node), status == "Enabled", days, date, noncurrent_days, abort_days)


def _prefix(node) -> str:
    legacy, selector = node.find("Prefix"), node.find("Filter")
    if legacy is not None and selector is not None:
        raise error("MalformedXML", "a Rule has a Filter or a Prefix, not both")
    if selector is None:
        return xml.text(node, "Prefix", "") or ""
    other = [child.tag for child in selector if child.tag != "Prefix"]
    if other:
        raise error("NotImplemented", f"lifecycle filters by {other[0][:40]} are not implemented (only by Prefix)")
    value = xml.text(selector, "Prefix", "") or ""
    if len(value.encode()) > 1024:
        raise error("InvalidArgument", "a Prefix is at most 1024 bytes")
    return value


def _days(node, tag: str, action: str) -> int:
    value = digits(xml.text(node, tag), 6)
    if not value:
        raise error("InvalidArgument", f"'{tag}' for {action} action must be a positive integer")
    return value


def _date(text: str | None) -> float:
    try:
        when = datetime.fromisoformat(text or "")
    except ValueError:
        raise error("InvalidArgument", "'Date' must be an ISO 8601 date and time") from None
    when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    if when.utcoffset() or (when.hour, when.minute, when.second, when.microsecond) != (0, 0, 0, 0):
        raise error("InvalidArgument", "'Date' must be at midnight GMT")
    return when.timestamp()


def _rule_content(rule: lifecycle.Rule) -> list:
    content = [("ID", rule.id), ("Filter", [("Prefix", rule.prefix)]),
               ("Status", "Enabled" if rule.enabled else "Disabled")]
    if rule.days is not None:
        content.append(("Expiration", [("Days", rule.days)]))
    if rule.date is not None:
        content.append(("Expiration", [("Date", xml.iso(rule.date))]))
    if rule.noncurrent_days is not None:
        content.append(("NoncurrentVersionExpiration", [("NoncurrentDays", rule.noncurrent_days)]))
    if rule.abort_days is not None:
        content.append(("AbortIncompleteMultipartUpload", [("DaysAfterInitiation", rule.abort_days)]))
    return content


def get_notification(store: Store, call: Call) -> Response:
    return ok(targets.document(owned(store, call).notification))


def put_notification(store: Store, call: Call) -> Response:
    bucket = owned(store, call)
    configuration = targets.from_document(read_small(call), store.webhook_hosts)
    change(store, bucket, "notification", configuration)
    return Response(status=200)
