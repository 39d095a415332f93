"""``python -m final.notifier``: POSTs the events buckets' notification configurations match to
their webhooks (``events.delivery``), until SIGTERM or SIGINT."""
import signal

from final import config as settings
from final.events.delivery import Notifier
from chapter01_single.app import setup_logging  # TODO(ops): final.ops.logs


def main() -> None:
    config = settings.load()
    setup_logging()
    notifier = Notifier(config)
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: notifier.stopping.set())
    notifier.run()


if __name__ == "__main__":
    main()
