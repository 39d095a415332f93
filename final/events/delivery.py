"""``python -m final.notifier``: every event a bucket's notification configuration matched, POSTed to
its webhook, at least once, in order per key, with retries and back-off.

Two stages, each its own RabbitMQ connection:
- ``Router`` consumes the durable queue ``notifier.events`` (``records.INBOX``: the events that
  matched a webhook, which the api servers and the lifecycle worker declare too) and copies each
  event to one durable queue per webhook (``notifier.webhook.<hash of its URL>``), for the
  targets the api server found when the event happened; the copies and the event's
  acknowledgement are one transaction (a batch of events: what came within ``FLUSH_INTERVAL``).
  Events wait in that queue while no notifier runs, or before one ever ran.
- ``Delivery`` consumes each webhook's queue (prefetch ``PREFETCH``) and hands its events to
  ``LANES`` lanes by key: a lane POSTs its events one at a time, in order, retrying a failed one
  with doubling back-off (``BACKOFF``, up to ``MAX_BACKOFF``) until it is delivered (2xx), refused
  for good (any other 4xx but 408 and 429, or a redirect, which is never followed), or
  ``RETRY_FOR`` old; then it is acknowledged. A dead webhook fills its own queue, never another's.
Every queue has a single active consumer (RabbitMQ's ``x-single-active-consumer``): a second
notifier waits as a standby, so two can run at once. A URL whose host is not in
``WEBHOOK_ALLOWED_HOSTS`` is never called, whatever a configuration says. Webhooks should expect an
event twice (its ``X-Event-Id`` is the same): at least once means that.
"""
import hashlib
import json
import logging
import queue
import threading
import time
import zlib

import pika
import requests

from chapter02_distributed.common.rabbitmq import AmqpWorker
from final.catalog.buckets import Buckets
from final.events import records, targets

EVENTS_QUEUE = records.INBOX
WEBHOOK_QUEUE = "notifier.webhook."
QUEUE_ARGUMENTS = records.INBOX_ARGUMENTS
IDLE_QUEUE_DAYS = 7              # a webhook's queue nobody consumed for this long goes (with what it holds)
PREFETCH = 64                    # events of one webhook on their way at once
LANES = 4                        # events of one webhook POSTed side by side (one key: always one lane)
BACKOFF, MAX_BACKOFF = 0.5, 30.0
RETRY_FOR = 86400.0              # seconds an event is retried before it is given up (logged)
TIMEOUT = (3, 10)                # connect, read: seconds
FLUSH_INTERVAL = 0.01           # seconds between two batches of routing or of acknowledgements
RESCAN = 30.0                    # seconds between looks at the buckets' configured webhooks

log = logging.getLogger("notifier")


def queue_of(url: str) -> str:
    return WEBHOOK_QUEUE + hashlib.sha256(url.encode()).hexdigest()[:24]


def declare_webhook_queue(channel, name: str) -> None:
    channel.queue_declare(name, durable=True, arguments={
        **QUEUE_ARGUMENTS, "x-expires": int(IDLE_QUEUE_DAYS * 86400 * 1000)})


class Router(AmqpWorker):
    """``notifier.events`` -> one queue per webhook the event matched. What arrives within
    ``FLUSH_INTERVAL`` is routed together: its copies in one transaction, then one acknowledgement."""

    def __init__(self, url: str, on_webhook):
        super().__init__(url, name="notifier-router")
        self.on_webhook = on_webhook
        self.routed = 0
        self.pending: list = []

    def serve(self, channel) -> None:
        records.declare_inbox(channel)
        channel.tx_select()
        channel.basic_qos(prefetch_count=PREFETCH * 4)
        self.pending = []
        channel.basic_consume(EVENTS_QUEUE, lambda _ch, method, props, body: self.pending.append((method, props, body)))
        declared: set[str] = set()
        while not self.stopping.is_set():
            self.pump(FLUSH_INTERVAL)
            if self.pending:
                batch, self.pending = self.pending, []
                for _, properties, body in batch:
                    self._route(channel, properties, body, declared)
                channel.basic_ack(batch[-1][0].delivery_tag, multiple=True)
                channel.tx_commit()                               # the copies and the acknowledgement, at once
                self.routed += len(batch)

    def _route(self, channel, properties, body: bytes, declared: set) -> None:
        try:
            message = json.loads(body)
            records.parse(message)
            matched = [t for t in (properties.headers or {}).get("targets") or []
                       if isinstance(t, dict) and isinstance(t.get("url"), str) and isinstance(t.get("id"), str)]
        except ValueError:
            log.warning("dropped a message on %s that is not an event of this store", EVENTS_QUEUE)
            return
        for target in matched:
            name = queue_of(target["url"])
            if name not in declared:
                declare_webhook_queue(channel, name)
                declared.add(name)
                self.on_webhook(name)
            message["Records"][0]["s3"]["configurationId"] = target["id"]
            channel.basic_publish("", name, json.dumps(message).encode(), pika.BasicProperties(
                content_type="application/json", delivery_mode=2, message_id=properties.message_id,
                timestamp=int(time.time()), headers={"url": target["url"]}))


class Delivery(AmqpWorker):
    """Consumes every webhook's queue; its ``Lane`` threads POST."""

    def __init__(self, url: str, allowed_hosts, session: requests.Session | None = None):
        super().__init__(url, name="notifier-delivery")
        self.allowed_hosts = allowed_hosts
        self.wanted: set[str] = set()
        self.lanes: dict[tuple[str, int], Lane] = {}
        self.finished: list[Job] = []
        self.lock = threading.Lock()
        self.session = session
        self.delivered = self.failed = 0

    def want(self, name: str) -> None:
        """Consume queue ``name`` (a webhook's) from now on."""
        with self.lock:
            self.wanted.add(name)

    def serve(self, channel) -> None:
        consuming: set[str] = set()
        generation = object()           # acks of a lost connection's deliveries are not sent
        while not self.stopping.is_set():
            with self.lock:
                new = self.wanted - consuming
                finished, self.finished = self.finished, []
            for name in sorted(new):
                own = self.connection.channel()
                declare_webhook_queue(own, name)
                own.basic_qos(prefetch_count=PREFETCH)
                own.basic_consume(name, lambda ch, method, props, body, name=name:
                                  self._take(ch, method, props, body, name, generation))
                consuming.add(name)
            for job in finished:
                if job.generation is generation:     # (another connection's deliveries come again anyway)
                    job.channel.basic_ack(job.tag)
            self.pump(FLUSH_INTERVAL)

    def _take(self, channel, method, properties, body, name: str, generation) -> None:
        try:
            key = records.parse(json.loads(body))["s3"]["object"]["key"]
        except ValueError:
            channel.basic_ack(method.delivery_tag)
            return
        lane = zlib.crc32(key.encode()) % LANES
        self._lane(name, lane).jobs.put(Job(body, (properties.headers or {}).get("url", ""), properties.message_id or "",
                                            properties.timestamp or time.time(), channel, method.delivery_tag,
                                            generation))

    def _lane(self, name: str, number: int) -> "Lane":
        with self.lock:
            lane = self.lanes.get((name, number))
            if lane is None:
                lane = self.lanes[(name, number)] = Lane(self, f"{name[-8:]}-{number}")
                lane.start()
            return lane

    def done(self, job: "Job") -> None:
        """Acknowledge ``job``'s message (the connection's thread does, soon)."""
        with self.lock:
            self.finished.append(job)

    def stop(self) -> None:
        super().stop()
        for lane in list(self.lanes.values()):
            lane.stopping.set()


class Job:
    __slots__ = ("body", "url", "event_id", "published", "channel", "tag", "generation")

    def __init__(self, body, url, event_id, published, channel, tag, generation):
        self.body, self.url, self.event_id, self.published = body, url, event_id, published
        self.channel, self.tag, self.generation = channel, tag, generation


class Lane(threading.Thread):
    """POSTs one webhook's events of some keys, one at a time, in order."""

    def __init__(self, delivery: Delivery, name: str):
        super().__init__(name=f"webhook-{name}", daemon=True)
        self.delivery = delivery
        self.jobs: queue.Queue = queue.Queue()
        self.stopping = threading.Event()
        self.session = delivery.session or requests.Session()
        self.session.trust_env = False          # no proxy from the environment: the URL is the host called

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                job = self.jobs.get(timeout=0.5)
            except queue.Empty:
                continue
            if self.deliver(job) is not None:
                self.delivery.done(job)

    def deliver(self, job: Job) -> bool | None:
        """True when delivered, False when given up; None when stopped before either."""
        delay = BACKOFF
        while not self.stopping.is_set():
            if not targets.allowed(job.url, self.delivery.allowed_hosts):
                log.error("event %s not sent: %s is not in WEBHOOK_ALLOWED_HOSTS", job.event_id, job.url[:200])
                self.delivery.failed += 1
                return False
            outcome = self.post(job)
            if outcome is not None:
                if outcome:
                    self.delivery.delivered += 1
                else:
                    self.delivery.failed += 1
                return outcome
            if time.time() - job.published > RETRY_FOR:
                log.error("event %s to %s given up after %.0f s of failures", job.event_id, job.url[:200], RETRY_FOR)
                self.delivery.failed += 1
                return False
            self.stopping.wait(delay)
            delay = min(delay * 2, MAX_BACKOFF)
        return None

    def post(self, job: Job) -> bool | None:
        """One attempt: True delivered, False refused for good, None to be retried."""
        try:
            response = self.session.post(job.url, data=job.body, timeout=TIMEOUT, allow_redirects=False, headers={
                "Content-Type": "application/json", "X-Event-Id": job.event_id, "User-Agent": "objstore-notifier"})
            response.close()
        except requests.RequestException as error:
            log.warning("event %s to %s: %s; retrying", job.event_id, job.url[:200], error.__class__.__name__)
            return None
        if 200 <= response.status_code < 300:
            return True
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429) \
                or 300 <= response.status_code < 400:
            log.error("event %s refused by %s (%d); not sent again", job.event_id, job.url[:200], response.status_code)
            return False
        log.warning("event %s to %s: %d; retrying", job.event_id, job.url[:200], response.status_code)
        return None


class Notifier:
    """The notifier: a router and a delivery, and the webhooks the buckets name (looked at every
    ``RESCAN`` seconds, so that events left in a webhook's queue by an earlier run go out too)."""

    def __init__(self, config: dict):
        self.config = config
        self.delivery = Delivery(config["RABBITMQ_SERVER"], config["WEBHOOK_ALLOWED_HOSTS"])
        self.router = Router(config["RABBITMQ_SERVER"], self.delivery.want)
        self.buckets = Buckets(config["ES_SERVER"], f"{config['ES_INDEX']}-buckets")
        self.stopping = threading.Event()

    def configured(self) -> set[str]:
        """The queues of every webhook a bucket's configuration names now."""
        return {queue_of(item["url"]) for bucket in self.buckets.all()
                for item in (bucket.notification or {}).get("targets", [])}

    def run(self) -> None:
        self.delivery.start()
        self.router.start()
        while not self.stopping.is_set():
            try:
                for name in self.configured():
                    self.delivery.want(name)
            except Exception as error:     # the catalog is away: the router still finds new webhooks
                log.warning("could not read the buckets' webhooks: %s", error)
            self.stopping.wait(RESCAN)
        self.router.stop()
        self.delivery.stop()
