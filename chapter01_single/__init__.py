"""Chapter 1: single-node object storage (book §4.1).

New: one server with ``PUT`` and ``GET /objects/<name>`` storing each object as a file under
``STORAGE_ROOT/objects`` (``objects``, ``store``, ``server``); the parts every later server reuses:
configuration from the environment (``config``), JSON errors (``errors``), object-name rules
(``names``), the health endpoint, the Flask app skeleton and ``Parts``, the shape of every
composition root (``app``), and the gunicorn runner (``serve``).
Skip on first reading (speed only): ``body`` (request bodies read straight from gunicorn's socket).
Changed from the book: names are validated and contained in ``STORAGE_ROOT`` (D8); a PUT writes a
temp file and renames it, so a failed upload never leaves half an object; the empty name is a 400.
"""
