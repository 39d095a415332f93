"""The web view's live pages: the cluster's cards, polled every second, and the event feed, pushed
as server-sent events (issue 22).

The cluster page asks for its cards again every second (htmx), so heartbeat ages count up, a
stopped server's card turns stale and then goes, without a reload. The events page opens
``/ui/events/stream`` (htmx's SSE extension): each event is one ``event`` message whose data is its
rendered, escaped line, numbered so that a reconnecting browser (``Last-Event-ID``) misses none the
server still keeps. A stream ends after ``STREAM_SECONDS`` (the browser reconnects at once), so it
holds a server thread for a bounded time.
"""
import threading
import time

from flask import Response, current_app, render_template, request, stream_with_context

from chapter01_single.errors import StorageError
from final.s3.errors import S3Error
from final.web.site import new_blueprint, s3, web

STREAM_SECONDS = 30
KEEPALIVE = 5                   # seconds between comments on a quiet stream (a closed one is noticed then)
SHOWN = 50                      # events the page starts with
MAX_STREAMS = 8                 # open streams per api server (each holds one of its threads): more are 503

_streams = threading.BoundedSemaphore(MAX_STREAMS)

blueprint = new_blueprint("live", __name__)


@blueprint.get("/cluster")
def cluster():
    web().feed.watch()                          # (its cards show the last repairs)
    return render_template("cluster.html", cards=web().cluster.cards(), me=web().cluster.me)


@blueprint.get("/cluster/cards")
def cards():
    web().feed.watch()
    return render_template("_cards.html", cards=web().cluster.cards(), me=web().cluster.me)


@blueprint.get("/events")
def events():
    feed, shown = web().feed, Readable()
    feed.watch()
    last = feed.last                           # first: an event added meanwhile comes by the stream
    return render_template("events.html", events=[e for e in feed.recent(SHOWN * 4) if shown(e)][:SHOWN],
                           last=last)


@blueprint.get("/events/stream")
def stream():
    start = request.headers.get("Last-Event-ID") or request.args.get("after") or "0"
    after = min(int(start), web().feed.last) if start.isdigit() and len(start) < 19 else 0   # (another server's)
    template = current_app.jinja_env.get_template("_event.html")
    if not _streams.acquire(blocking=False):
        return Response("too many open event streams; try again soon\n", 503, {"Retry-After": "5"},
                        mimetype="text/plain")
    response = Response(stream_with_context(messages(web().feed, after, template)), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    response.call_on_close(_streams.release)        # when it ends, or the browser goes (the server closes it)
    return response


def messages(feed, after: int, template):
    """The SSE messages of events past ``after`` that the user may see, for ``STREAM_SECONDS``."""
    yield "retry: 1000\n\n"
    ends, quiet, shown = time.monotonic() + STREAM_SECONDS, time.monotonic(), Readable()
    while time.monotonic() < ends:
        feed.watch()
        for number, event in feed.after(after, timeout=1.0):
            after = number
            if shown(event):
                line = " ".join(template.render(event=event).split())      # one line: SSE data ends at a newline
                yield f"id: {number}\nevent: event\ndata: {line}\n\n"
                quiet = time.monotonic()
        if time.monotonic() - quiet > KEEPALIVE:
            yield ": still here\n\n"
            quiet = time.monotonic()


class Readable:
    """Whether the signed-in user may see an event: an object's only when they may read its bucket
    (HeadBucket as that user; asked once per bucket), servers' and repairs' always."""

    def __init__(self):
        self.buckets: dict[str, bool] = {}

    def __call__(self, event: dict) -> bool:
        bucket = event.get("bucket")
        if bucket is None:
            return True
        if bucket not in self.buckets:
            try:
                self.buckets[bucket] = s3("HEAD", bucket).status_code == 200
            except (S3Error, StorageError):        # (the feed is in memory: a catalog outage hides, never fails)
                self.buckets[bucket] = False
        return self.buckets[bucket]
