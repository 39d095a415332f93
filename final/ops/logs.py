"""Logging for final/'s servers and tools: text as in chapters 1-8, or one JSON object a line.

``setup_logging(config)`` is what every entry point of final/ calls first (chapter 1's
``setup_logging``, which they call again later, then finds the handler in place). With
``LOG_FORMAT=json`` each line is ``{"time", "level", "logger", "message"}``, plus ``request_id``
while a request is served, ``exception`` when there is one and the fields a record was given
(``extra=``); gunicorn's own lines (``GunicornLogger``), warnings and uncaught exceptions too.
"""
import json
import logging
import sys
import threading
from contextvars import ContextVar
from datetime import datetime, timezone

from gunicorn import glogging

from chapter01_single.app import setup_logging as chapter1_setup

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"   # chapter 1's
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)   # the request being served
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}


class TextFormatter(logging.Formatter):
    """Chapter 1's lines, ending with `` [request <id>]`` while a request is served."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        return f"{line} [request {request_id}]" if request_id else line


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (newlines in messages and tracebacks are escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            line["request_id"] = request_id
        line.update((k, v) for k, v in vars(record).items() if k not in _STANDARD and k not in line)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str)


def formatter(config: dict | None) -> logging.Formatter:
    """The formatter ``config``'s ``LOG_FORMAT`` asks for (text when there is no config)."""
    return JsonFormatter() if (config or {}).get("LOG_FORMAT") == "json" else TextFormatter(TEXT)


def setup_logging(config: dict | None = None) -> None:
    """Log to stderr at INFO in ``config``'s ``LOG_FORMAT``; call it first in every entry point."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(config))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    chapter1_setup()                     # its quiet libraries (its basicConfig finds our handler)
    if isinstance(handler.formatter, JsonFormatter):
        logging.lastResort = handler     # a logger without handlers: still JSON
        logging.captureWarnings(True)
        sys.excepthook = _uncaught
        threading.excepthook = lambda args: _uncaught(args.exc_type, args.exc_value, args.exc_traceback,
                                                      args.thread.name if args.thread else "?")


class GunicornLogger(glogging.Logger):
    """gunicorn's logger, its lines in JSON (``LOG_FORMAT=json``; its access log is off)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers + self.access_log.handlers:
            handler.setFormatter(JsonFormatter())


def _uncaught(kind, value, traceback, thread: str = "main") -> None:
    if issubclass(kind, KeyboardInterrupt):
        return
    logging.getLogger("uncaught").error("uncaught exception in thread %s", thread,
                                        exc_info=(kind, value, traceback))
