"""final/'s api server (``python -m final.api_server``): chapter 8's book API over final/'s parts.
``app.py`` is its composition root only; the wings hold the rest."""
