"""Chapter 5: six data servers holding Reed-Solomon 4+2 shards."""
from tests.chapter03.conftest import DigestClient, chapter_cluster, drop_index
from tests.support import chapter_fixtures

cluster, front, client = chapter_fixtures(lambda: chapter_cluster(5, LOCATE_TIMEOUT="3"), DigestClient, drop_index)
