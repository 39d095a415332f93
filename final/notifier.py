"""``python -m final.notifier``: POSTs the events buckets' notification configurations match to
their webhooks (``events.delivery``), until SIGTERM or SIGINT."""
import signal

from final import config as settings
from final.events.delivery import Notifier
from final.ops.logs import setup_logging


def main() -> None:
    config = settings.load()
    setup_logging(config)
    notifier = Notifier(config)
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: notifier.stopping.set())
    notifier.run()


if __name__ == "__main__":
    main()
