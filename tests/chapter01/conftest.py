"""Chapter 1: one server process on 127.0.1.1:12345."""
from tests.support import chapter_fixtures, start_cluster

cluster, front, client = chapter_fixtures(lambda: start_cluster(1))
