"""``python -m final.api_server``: chapter 1's runner, with glibc's malloc arenas capped.

An api server of final/ has many requests streaming big bodies at once (8 parallel 64 MiB parts
of a multipart upload): each of its 32 threads would otherwise get a malloc arena of its own (up
to 8 per core), each keeping up to chapter 1's trim threshold of freed memory. Two arenas
measured: peak RSS 176 -> 131 MB for 8 parallel 64 MiB PUTs of the book API.
"""
import ctypes
import ctypes.util

from chapter01_single.serve import run  # unchanged since chapter 1
from final import config as settings
from final.api_server.app import create_app
from final.ops.logs import setup_logging

M_ARENA_MAX = -8
ARENAS = 2


def cap_arenas() -> None:
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt(M_ARENA_MAX, ARENAS)
    except (OSError, AttributeError):     # not glibc: nothing to do
        pass


cap_arenas()
setup_logging(settings.load())
run(create_app)
