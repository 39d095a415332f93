"""Chapter 8: chapter 7's cluster with the garbage-aware data server, and the three tools."""
from tests.chapter03.conftest import DigestClient, chapter_cluster
from tests.chapter06.conftest import cleanup
from tests.support import chapter_fixtures

cluster, front, client = chapter_fixtures(lambda: chapter_cluster(8, LOCATE_TIMEOUT="3"), DigestClient, cleanup)
