"""Configuration, read once from the environment with the book's names (book §1.5).

Chapter 1 reads ``LISTEN_ADDRESS`` and ``STORAGE_ROOT``; later chapters add settings by extending
``SETTINGS``. Handlers read ``app.config``, never ``os.environ``.
"""
import math
import os
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
    """A ``host:port`` pair such as ``127.0.1.1:12345``."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r} is not host:port")
    return text


SETTINGS = (
    Setting("LISTEN_ADDRESS", "127.0.0.1:12345", address),
    Setting("STORAGE_ROOT", "./storage"),
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
