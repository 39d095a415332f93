"""The chapter 3 api server (book §4.3): ``python -m chapter03_metadata.api_server``."""
