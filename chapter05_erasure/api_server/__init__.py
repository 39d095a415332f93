"""The chapter 5 api server (book §4.5): ``python -m chapter05_erasure.api_server``."""
