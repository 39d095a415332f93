"""The data server's heartbeat: its address to ``apiServers`` every interval (book §4.2).

Go: ``chapter2/dataServer/heartbeat/heartbeat.go``. The first beat goes out at once; the beat is
the JSON string of the advertised address, as in the book.
"""
from chapter02_distributed.common.rabbitmq import API_EXCHANGE, AmqpWorker, publish

MIN_INTERVAL = 0.05   # HEARTBEAT_INTERVAL=0 must not spin the CPU


class Heartbeat(AmqpWorker):
    """Publishes ``message()`` to the api servers every ``interval`` seconds."""

    def __init__(self, url: str, address: str, interval: float):
        super().__init__(url, name="heartbeat")
        self.address = address
        self.interval = max(interval, MIN_INTERVAL)

    def message(self):
        """What one beat says: this server's address."""
        return self.address

    def serve(self, channel) -> None:
        while not self.stopping.is_set():
            publish(channel, API_EXCHANGE, "", self.message())
            self.pump(self.interval)
