"""The chapter 6 api server (book §4.6): ``python -m chapter06_resumable.api_server``."""
