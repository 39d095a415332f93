"""The chapter 4 api server (book §4.4): ``python -m chapter04_dedup.api_server``."""
