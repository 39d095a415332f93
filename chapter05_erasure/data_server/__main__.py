"""``python -m chapter05_erasure.data_server``"""
from chapter01_single.serve import run  # unchanged since chapter 1
from chapter05_erasure.data_server.app import create_app

run(create_app)
