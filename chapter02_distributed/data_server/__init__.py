"""The chapter 2 data server: chapter 1's object server plus heartbeat and locate (book §4.2).

Go: ``chapter2/dataServer/``. Run it with ``python -m chapter02_distributed.data_server``.
"""
