"""final/'s data server: chapter 8's, with small objects' replicas in containers
(``python -m final.data_server``). ``app.py`` is its composition root only."""
