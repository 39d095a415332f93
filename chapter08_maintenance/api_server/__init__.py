"""The chapter 8 api server (book §4.8): ``python -m chapter08_maintenance.api_server``.

Chapter 7's, but for one fix the maintenance tools call for: content a PUT reuses is pinned on
its data servers until the version that refers to it is written (``store.Objects``).
"""
