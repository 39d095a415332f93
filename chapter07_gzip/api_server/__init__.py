"""The chapter 7 api server (book §4.7): ``python -m chapter07_gzip.api_server``."""
