"""What an api server tells ``objectEvents`` when an S3 request created or removed objects."""
from final.events import records, targets
from final.events.bus import EventBus


class Announcer:
    """Publishes the events of a successful call (``Call.events``), each with the notification
    targets its bucket's configuration matched at that moment."""

    def __init__(self, bus: EventBus, region: str):
        self.bus, self.region = bus, region

    def __call__(self, call, source_ip: str = "") -> None:
        for name, version in call.events:
            announce(self.bus, name, call.found, version, region=self.region, request_id=call.request_id,
                     user=call.user_name or "", source_ip=source_ip)


def announce(bus: EventBus, name: str, bucket, version, **details):
    """Publish the event ``name`` of ``version`` (a key of ``bucket``) with the targets it matches."""
    one = records.record(name, bucket, version, **details)
    matched = targets.matching(bucket.notification, name, version.name[len(bucket.name) + 1:])
    headers = {"targets": matched, records.WEBHOOKS[0]: records.WEBHOOKS[1]} if matched else None
    return bus.publish(records.message(one), records.routing_key(name), headers, records.event_id())
