"""Chapter 1: single-node object storage (book §4.1).

New: one server with ``PUT`` and ``GET /objects/<name>`` storing each object as a file under
``STORAGE_ROOT/objects``; the parts every later server reuses: configuration from the environment
(``config``), JSON errors (``errors``), object-name rules (``names``), the health endpoint and the
Flask app skeleton (``app``), the gunicorn runner (``serve``) and its socket body reader (``body``).
Changed from the book: names are validated and contained in ``STORAGE_ROOT`` (D8); a PUT writes a
temp file and renames it, so a failed upload never leaves half an object; the empty name is a 400.
"""
