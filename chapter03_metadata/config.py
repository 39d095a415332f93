"""Chapter 3 settings: chapter 2's plus the Elasticsearch server and index."""
from chapter01_single.config import Setting
from chapter02_distributed.config import SETTINGS as CHAPTER2_SETTINGS  # unchanged since chapter 2
from chapter02_distributed.config import load as load_settings

SETTINGS = CHAPTER2_SETTINGS + (
    Setting("ES_SERVER", "127.0.0.1:9200"),
    Setting("ES_INDEX", "metadata"),      # tests use their own index
)


def load(settings=SETTINGS, environ=None) -> dict:
    return load_settings(settings, environ)
