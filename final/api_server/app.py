"""Composition root of final/'s api server: chapter 8's parts, with the containers, S3 and web wings'."""
from functools import cached_property

from flask import Flask

from chapter03_metadata.common import digest
from chapter08_maintenance.api_server import app as chapter8
from final import config as settings
from final.catalog.buckets import LeanBuckets
from final.catalog.keys import Keys
from final.catalog.maintenance import MaintenanceMetadata
from final.catalog.uploads import Uploads
from final.containers.client import Objects
from final.containers.inventory import survey
from final.containers.locate import LocateView, Locator
from final.containers.metadata import Metadata
from final.s3.context import Store
from final.s3.gateway import Gateway
from final.s3.users import Users
from final.web.cluster import Cluster, PeerBeat, WatchedServers
from final.events.announce import Announcer
from final.events.bus import EventBus
from final.ops import access, metrics
from final.web.events import EventLog, listener
from final.web.site import Web


class Parts(chapter8.Parts):
    """Chapter 8's api server; small objects are kept whole in containers (three replicas); every
    path the book's routes do not use is the S3 API; ``/ui/`` is the web view, fed by the servers'
    heartbeats and the ``objectEvents`` feed (``bus``)."""
    settings = settings
    locator_class = metrics.measured(Locator, metrics.TimedLocate)
    locate_view = LocateView
    metadata_class = Metadata
    objects_class = Objects
    maintenance_class = MaintenanceMetadata     # the tools' metadata client: S3 keys refer to content too

    feed = cached_property(lambda self: EventLog())
    bus = cached_property(lambda self: EventBus(self.config["RABBITMQ_SERVER"], listener(self.feed),
                                                 wanted=self.feed.watched))
    servers = cached_property(lambda self: metrics.measured(WatchedServers, metrics.CountedBeats)(
        self.config["HEARTBEAT_EXPIRY"], self.told("data")))
    peers = cached_property(lambda self: WatchedServers(self.config["HEARTBEAT_EXPIRY"], self.told("api")))
    objects = cached_property(lambda self: self.objects_class(
        self.servers, self.locator, self.metadata, self.config["SMALL_OBJECT_LIMIT"],
        self.repaired))
    s3 = cached_property(lambda self: Store(
        self.objects, LeanBuckets(self.config["ES_SERVER"], f"{self.config['ES_INDEX']}-buckets"),
        Keys(self.config["ES_SERVER"], self.config["ES_INDEX"]), Users.from_config(self.config),
        self.config["S3_REGION"], Uploads(self.config["ES_SERVER"], self.config["ES_INDEX"]),
        self.config["MULTIPART_MIN_PART"], self.config["WEBHOOK_ALLOWED_HOSTS"]))

    def repaired(self, key: str, shard: int, server: str) -> None:
        """A GET rewrote a shard: counted, and told on the feed."""
        metrics.SHARDS_REPAIRED.inc()
        self.bus.publish({"kind": "ShardRepaired", "key": key, "shard": shard, "server": server})

    def told(self, role: str):
        """What this server tells its own feed when a server of ``role`` joins or leaves."""
        return lambda kind, address: self.feed.add({"kind": kind, "server": address, "role": role})

    def address(self) -> str:
        return self.config["ADVERTISE_ADDRESS"] or self.config["LISTEN_ADDRESS"]

    def web(self, gateway: Gateway) -> Web:
        expiry, interval = self.config["HEARTBEAT_EXPIRY"], self.config["HEARTBEAT_INTERVAL"]
        stale_after = min(1.5 * interval + 0.2, 0.75 * expiry)      # a beat missed, well before it is forgotten
        cluster = Cluster(self.address(), self.servers, self.peers, stale_after, self.feed)
        return Web(self.s3, gateway, cluster, self.feed,
                   lambda hashes: survey(self.servers.live(), [digest.key(h) for h in hashes]), self.config["UI_SECRET_KEY"])

    def workers(self) -> list:
        beat = PeerBeat(self.config["RABBITMQ_SERVER"], self.address(), self.config["HEARTBEAT_INTERVAL"],
                        self.peers, [self.servers])
        return super().workers() + [self.bus, beat]

    def app(self) -> Flask:
        app = super().app()
        announcer = Announcer(self.bus, self.config["S3_REGION"]) if self.config["EVENTS"] else None
        gateway = Gateway(self.s3, self.config["BOOK_API"], notify=announcer)
        self.web(gateway).install(app)
        gateway.install(app)                 # after the web view: its /ui/ is a route, not a bucket
        access.install(app, [metrics.live_servers(self.servers)])    # outermost: ids, access log, /metrics
        return app


def create_app(config: dict | None = None, *, servers=None, locator=None, metadata=None, objects=None,
               uploads=None, s3=None) -> Flask:
    """The api server. Parts (built from ``config`` unless given): ``servers``, ``locator``,
    ``metadata``, ``objects``, ``uploads``, ``s3`` (the S3 wing's ``Store``)."""
    return Parts(config, servers=servers, locator=locator, metadata=metadata, objects=objects,
                 uploads=uploads, s3=s3).app()
