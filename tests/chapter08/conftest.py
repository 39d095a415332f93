"""Chapter 8: chapter 7's cluster with the garbage-aware data server, and the three tools. Like
chapter 7's, its data folders are first written by chapter 6's servers (D19 holds here too)."""
from tests.chapter03.conftest import DigestClient
from tests.chapter06.conftest import cleanup
from tests.chapter07.conftest import start
from tests.support import chapter_fixtures

cluster, front, client = chapter_fixtures(lambda: start(8), DigestClient, cleanup)
