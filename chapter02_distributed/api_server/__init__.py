"""The chapter 2 api server (book §4.2): ``python -m chapter02_distributed.api_server``.

Go: ``chapter2/apiServer/``. ``app.create_app`` composes the parts that later chapters swap.
"""
