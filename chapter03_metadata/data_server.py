"""``python -m chapter03_metadata.data_server``: chapter 2's data server, unchanged (book §4.3)."""
from chapter01_single.serve import run  # unchanged since chapter 1
from chapter02_distributed.data_server.app import create_app  # unchanged since chapter 2

if __name__ == "__main__":
    run(create_app)
