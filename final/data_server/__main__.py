"""``python -m final.data_server``: chapter 1's runner, logging as ``LOG_FORMAT`` says."""
from chapter01_single.serve import run  # unchanged since chapter 1
from final import config as settings
from final.data_server.app import create_app
from final.ops.logs import setup_logging

setup_logging(settings.load())
run(create_app)
