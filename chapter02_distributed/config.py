"""Chapter 2 settings: chapter 1's plus RabbitMQ, the advertised address and the timing knobs.

``ADVERTISE_ADDRESS`` (default: ``LISTEN_ADDRESS``) is what heartbeats and locate replies carry (D22).
"""
from chapter01_single.config import SETTINGS as CHAPTER1_SETTINGS  # unchanged since chapter 1
from chapter01_single.config import Setting, address, load as load_settings, seconds


def optional_address(text: str) -> str:
    """An address, or empty for 'same as LISTEN_ADDRESS'."""
    return address(text) if text else ""


SETTINGS = CHAPTER1_SETTINGS + (
    Setting("ADVERTISE_ADDRESS", "", optional_address),
    Setting("RABBITMQ_SERVER", "amqp://guest:guest@127.0.0.1:5672/"),
    Setting("HEARTBEAT_INTERVAL", "5", seconds),
    Setting("HEARTBEAT_EXPIRY", "10", seconds),
    Setting("LOCATE_TIMEOUT", "1", seconds),
)


def load(settings=SETTINGS, environ=None) -> dict:
    """Chapter 1's loader, then the advertised address defaulted to the listening one."""
    config = load_settings(settings, environ)
    config["ADVERTISE_ADDRESS"] = config["ADVERTISE_ADDRESS"] or config["LISTEN_ADDRESS"]
    return config
