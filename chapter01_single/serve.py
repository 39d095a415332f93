"""Serve a Flask app with gunicorn, the production WSGI server every chapter uses.

One worker process (so a data server's locate map is one) with many threads; request bodies stream
(gunicorn does not buffer them) and ``Expect: 100-continue`` is answered. The background workers
(heartbeats, listeners) start inside that worker process after the fork and stop with it; SIGTERM
or SIGINT stops the server within ``GRACEFUL_SECONDS`` plus a little.
"""
import ctypes
import ctypes.util
import logging
from typing import Protocol

from flask import Flask
from gunicorn.app.base import BaseApplication

from chapter01_single.app import WORKERS, setup_logging
from chapter01_single.worker import GuardedWorker

THREADS = 32
GRACEFUL_SECONDS = 3
# glibc malloc: buffers up to 32 MiB come from the heap and up to 16 MiB of freed memory stays
# there. By default every buffer of 128 KiB or more (a 1 MB chunk, a 256 KB shard) is a fresh
# mmap whose pages the kernel must fault in and zero: measured, that made Reed-Solomon encoding
# 2.5 times slower (340,000 page faults per 200 MB encoded, against 5,000).
MALLOC_OPTIONS = {-3: 32 << 20, -1: 16 << 20}    # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD
GUNICORN = "gunicorn"   # app.extensions key: more gunicorn settings a later server gives (final/: its logger)

log = logging.getLogger(__name__)


class Worker(Protocol):
    """A background task: ``start()`` it in the serving process, ``stop()`` it at exit."""
    def start(self) -> None: ...
    def stop(self) -> None: ...


class _Gunicorn(BaseApplication):
    def __init__(self, app: Flask, options: dict):
        self.app, self.options = app, options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.app


def serve(app: Flask, bind: str, threads: int = THREADS) -> None:
    """Serve ``app`` on ``bind`` (``host:port``) until SIGTERM/SIGINT."""
    workers = app.extensions.get(WORKERS, [])
    worker_class = type("Worker", (GuardedWorker,), {"read_timeout": app.config.get("READ_TIMEOUT", 15.0)})
    options = {
        "bind": bind, "workers": 1, "worker_class": worker_class, "threads": threads,
        "graceful_timeout": GRACEFUL_SECONDS, "timeout": 60, "keepalive": 30,
        "backlog": 512, "accesslog": None, "errorlog": "-", "loglevel": "info",
        # gunicorn >= 27 shares one control socket per user: eight servers would collide on it
        "control_socket_disable": True,
        "post_worker_init": lambda _worker: _start(workers),
        "worker_exit": lambda _server, _worker: _stop(workers),
        **app.extensions.get(GUNICORN, {}),
    }
    _Gunicorn(app, options).run()


def _start(workers) -> None:
    for worker in workers:
        worker.start()


def _stop(workers) -> None:
    for worker in reversed(workers):     # the last started first: what others rely on stops last
        try:
            worker.stop()
        except Exception:   # stopping must go on for the others
            log.exception("stopping %r", worker)


def run(create_app) -> None:
    """Entry point of every server: log to stderr, build the app, serve it."""
    setup_logging()
    tune_malloc()
    app = create_app()
    serve(app, app.config["LISTEN_ADDRESS"])


def tune_malloc() -> None:
    """Apply ``MALLOC_OPTIONS`` where the C library is glibc (elsewhere: nothing to do)."""
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    for option, value in MALLOC_OPTIONS.items():
        mallopt(option, value)
