"""``python -m chapter08_maintenance.api_server``: chapter 7's api server, unchanged (book §4.8)."""
from chapter01_single.serve import run  # unchanged since chapter 1
from chapter07_gzip.api_server.app import create_app  # unchanged since chapter 7

if __name__ == "__main__":
    run(create_app)
