"""Chapter 2: six data servers and two api servers against the real RabbitMQ."""
from tests.support import chapter_fixtures, require_rabbitmq, start_cluster


def start():
    require_rabbitmq()
    return start_cluster(2)


cluster, front, client = chapter_fixtures(start)
