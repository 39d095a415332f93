"""Configuration, read once from the environment with the book's names (book §1.5).

Chapter 1 reads ``LISTEN_ADDRESS`` and ``STORAGE_ROOT``; later chapters add settings by extending
``SETTINGS``. Handlers read ``app.config``, never ``os.environ``.
"""
import ipaddress
import math
import os
import re
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, default text and parser."""
    name: str
    default: str
    parse: Callable[[str], object] = str


class ConfigError(ValueError):
    """An environment variable holds a value its parser refuses."""


def seconds(text: str) -> float:
    """A duration in seconds: fractions and 0 are allowed, negatives are not."""
    value = float(text)
    if value < 0 or not math.isfinite(value):
        raise ValueError(f"{text!r} is not a duration")
    return value


def address(text: str) -> str:
    """A ``host:port`` pair such as ``127.0.1.1:12345``: the host an IPv4 address, a bracketed IPv6
    address or a DNS name, the port 1-65535, nothing else (no path, user or query can ride along)."""
    host, sep, port = text.rpartition(":")
    if not (sep and _HOST.fullmatch(host) and _PORT.fullmatch(port) and 0 < int(port) < 65536):
        raise ValueError(f"{text[:80]!r} is not host:port")
    if host.startswith("["):
        ipaddress.IPv6Address(host[1:-1])          # ValueError when it is not one
    elif host[0].isdigit() and host.replace(".", "").isdigit():
        ipaddress.IPv4Address(host)
    return text


_HOST = re.compile(r"\[[0-9A-Fa-f:.]{2,45}\]|(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")
_PORT = re.compile(r"[0-9]{1,5}")


def switch(text: str) -> bool:
    """``1``/``on``/``true`` or ``0``/``off``/``false``."""
    if text.lower() not in ("1", "on", "true", "0", "off", "false"):
        raise ValueError(f"{text!r} is not on or off")
    return text.lower() in ("1", "on", "true")


SETTINGS = (
    Setting("LISTEN_ADDRESS", "127.0.0.1:12345", address),
    Setting("STORAGE_ROOT", "./storage"),
    Setting("READ_TIMEOUT", "15", seconds),     # silence a server allows a client mid-request
    Setting("FSYNC", "1", switch),              # 0 only to measure what durability costs (bench/)
)


def load(settings=SETTINGS, environ=None) -> dict:
    """Parse every setting from ``environ`` (default ``os.environ``) into a dict."""
    environ = os.environ if environ is None else environ
    config = {}
    for setting in settings:
        raw = environ.get(setting.name) or setting.default
        try:
            config[setting.name] = setting.parse(raw)
        except ValueError as error:
            raise ConfigError(f"{setting.name}={raw!r}: {error}") from None
    return config
