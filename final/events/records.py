"""S3's event JSON, and how an event travels on ``objectEvents``.

An event is S3's message ``{"Records": [record]}`` (event structure 2.1): the event's name
(``ObjectCreated:Put``, ``…:Copy``, ``…:CompleteMultipartUpload``, ``ObjectRemoved:Delete``, and the
lifecycle worker's ``LifecycleExpiration:DeleteMarkerCreated`` and ``LifecycleExpiration:Delete``),
its time, the user, the request id, the bucket and the object: its key (URL-encoded, as S3 does),
size and ETag (of objects created), version and a sequencer that orders the events of one key.
It is published with the routing key ``<Kind>.<Name>`` (``ObjectCreated.Put``) and, in the AMQP
headers, the notification targets it matched when it happened (``targets``), so that a
configuration changed later applies to later events only. An event that matched a target also
carries the header ``WEBHOOKS``; the headers exchange ``NOTIFY_EXCHANGE``, bound to ``objectEvents``,
routes those, and only those, to the notifier's durable queue ``INBOX`` (declared by the publishers
as well as by the notifier), which keeps them until a notifier takes them, even one that never ran
before.
"""
import time
import uuid
from urllib.parse import quote_plus

from final.s3.xml import iso

EXCHANGE = "objectEvents"
NOTIFY_EXCHANGE = "objectEvents.webhooks"   # headers exchange, bound to EXCHANGE: events for webhooks
WEBHOOKS = ("webhooks", "matched")          # the header (and value) of an event that matched a target
INBOX = "notifier.events"                   # the notifier's durable queue, bound to NOTIFY_EXCHANGE
INBOX_ARGUMENTS = {"x-single-active-consumer": True}
SOURCE = "objstore:s3"
NAMES = ("ObjectCreated:Put", "ObjectCreated:Copy", "ObjectCreated:CompleteMultipartUpload",
         "ObjectRemoved:Delete", "LifecycleExpiration:DeleteMarkerCreated", "LifecycleExpiration:Delete")


def record(name: str, bucket, version, *, region: str, request_id: str, user: str = "",
           source_ip: str = "", when: float | None = None) -> dict:
    """The S3 record of ``name`` for ``version`` (an ``S3Version``) of a key of ``bucket`` (a ``Bucket``)."""
    key = version.name[len(bucket.name) + 1:]
    obj = {"key": quote_plus(key, safe="/"), "versionId": str(version.version),
           "sequencer": f"{version.version:016X}"}
    if name.startswith("ObjectCreated"):
        obj.update(size=version.size, eTag=version.info.get("etag", ""))
    return {
        "eventVersion": "2.1", "eventSource": SOURCE, "awsRegion": region,
        "eventTime": iso(when if when is not None else (version.modified or time.time())),
        "eventName": name,
        "userIdentity": {"principalId": user},
        "requestParameters": {"sourceIPAddress": source_ip},
        "responseElements": {"x-amz-request-id": request_id, "x-amz-id-2": request_id},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "",
               "bucket": {"name": bucket.name, "ownerIdentity": {"principalId": bucket.owner},
                          "arn": f"arn:aws:s3:::{bucket.name}"},
               "object": obj},
    }


def declare_inbox(channel) -> None:
    """The notifier's exchange, its durable queue and their binding (idempotent: the publishers and
    the notifier each declare them, so no event for a webhook goes unkept)."""
    channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
    channel.exchange_declare(NOTIFY_EXCHANGE, exchange_type="headers", durable=True)
    channel.exchange_bind(NOTIFY_EXCHANGE, EXCHANGE, routing_key="#")
    channel.queue_declare(INBOX, durable=True, arguments=INBOX_ARGUMENTS)
    channel.queue_bind(INBOX, NOTIFY_EXCHANGE, arguments={"x-match": "all", WEBHOOKS[0]: WEBHOOKS[1]})


def message(one: dict) -> dict:
    return {"Records": [one]}


def routing_key(name: str) -> str:
    return name.replace(":", ".")


def event_id() -> str:
    """A new event's id (the AMQP ``message_id``, and the webhook's ``X-Event-Id``)."""
    return uuid.uuid4().hex


def parse(value) -> dict:
    """The one record of a message as published here, or ValueError."""
    try:
        [one] = value["Records"]
        name, s3 = one["eventName"], one["s3"]
        if name not in NAMES or not isinstance(s3["bucket"]["name"], str) or not isinstance(s3["object"]["key"], str):
            raise ValueError("not an event of this store")
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"not an S3 event: {error!r}") from None
    return one
