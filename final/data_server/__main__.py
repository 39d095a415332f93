"""``python -m final.data_server``"""
from chapter01_single.serve import run  # unchanged since chapter 1
from final.data_server.app import create_app

run(create_app)
