"""ACLs as S3 writes and reads them: ``x-amz-acl`` (canned), ``x-amz-grant-*`` headers, and the
``AccessControlPolicy`` document of GetBucketAcl/PutBucketAcl and GetObjectAcl/PutObjectAcl.

A grant to a user this store does not know is 400 ``InvalidArgument``; an unknown canned ACL too.
"""
import re

from final.catalog.acl import GROUPS, PERMISSIONS, XSI_TYPES, Acl, Grant, UnknownCannedAcl, canned
from final.s3 import xml
from final.s3.context import Call
from final.s3.errors import error

GRANT_HEADERS = {"x-amz-grant-read": "READ", "x-amz-grant-write": "WRITE", "x-amz-grant-read-acp": "READ_ACP",
                 "x-amz-grant-write-acp": "WRITE_ACP", "x-amz-grant-full-control": "FULL_CONTROL"}
GRANTEE = re.compile(r'\s*(id|uri|emailAddress)\s*=\s*"([^"]*)"\s*')


def from_request(call: Call, users, owner: str, bucket_owner: str | None = None) -> Acl:
    """The ACL a create or copy asks for (``x-amz-acl`` or grant headers); private by default."""
    grants = [(header, call.headers.get(header)) for header in GRANT_HEADERS if call.headers.get(header)]
    if grants:
        acl = Acl(owner, [])
        for header, value in grants:
            for part in value.split(","):
                acl.grants.append(Grant(_grantee(part, users), GRANT_HEADERS[header]))
        return acl
    try:
        return canned(call.headers.get("x-amz-acl", "private").strip(), owner, bucket_owner)
    except UnknownCannedAcl:
        raise error("InvalidArgument", f"unknown canned ACL {call.headers.get('x-amz-acl')[:40]!r}") from None


def from_document(body: bytes, users, owner: str) -> Acl:
    """An ``AccessControlPolicy`` document's ACL."""
    policy = xml.parse(body, "AccessControlPolicy")
    acl = Acl(owner, [])
    for grant in policy.iter("Grant"):
        grantee, permission = grant.find("Grantee"), xml.text(grant, "Permission", "")
        if grantee is None or permission not in PERMISSIONS:
            raise error("MalformedXML", "a Grant needs a Grantee and a Permission")
        uri, user = xml.text(grantee, "URI"), xml.text(grantee, "ID")
        acl.grants.append(Grant(_known(uri if uri else user, users, group=bool(uri)), permission))
    return acl


def document(acl: Acl) -> bytes:
    """The ``AccessControlPolicy`` of ``acl``."""
    return xml.document("AccessControlPolicy", [
        ("Owner", [("ID", acl.owner), ("DisplayName", acl.owner)]),
        ("AccessControlList", [("Grant", [_grantee_element(g), ("Permission", g.permission)]) for g in acl.grants])],
        {"xmlns:xsi": xml.XSI})


def _grantee_element(grant: Grant) -> tuple:
    if grant.is_group:
        return ("Grantee", [("URI", grant.grantee)], {"xsi:type": XSI_TYPES["group"]})
    return ("Grantee", [("ID", grant.grantee), ("DisplayName", grant.grantee)], {"xsi:type": XSI_TYPES["user"]})


def _grantee(text: str, users) -> str:
    match = GRANTEE.fullmatch(text)
    if not match or match.group(1) == "emailAddress":
        raise error("InvalidArgument", f"cannot grant to {text.strip()[:60]!r}")
    return _known(match.group(2), users, group=match.group(1) == "uri")


def _known(name: str | None, users, group: bool) -> str:
    if group and name in GROUPS or not group and name in users.by_name:
        return name
    raise error("InvalidArgument", f"Invalid id {name!r}: no such user or group")
