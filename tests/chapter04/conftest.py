"""Chapter 4: content-addressed data servers with temp objects; a long locate window, so that a
test notices any wait for it (replies from every server must end a search early)."""
from tests.chapter03.conftest import DigestClient, chapter_cluster, drop_index
from tests.support import chapter_fixtures

cluster, front, client = chapter_fixtures(lambda: chapter_cluster(4, LOCATE_TIMEOUT="3"), DigestClient, drop_index)
