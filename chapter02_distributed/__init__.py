"""Chapter 2: scale-out with api servers, data servers and RabbitMQ (book §4.2).

New: ``common.rabbitmq`` (one long-lived connection per thread, reconnect with back-off, JSON
bodies validated and dropped when bad), ``common.objectstream`` (streams between api and data
servers with timeouts); the data server's ``heartbeat`` and ``locate`` listener; the api server's
``heartbeat`` registry (live data servers), ``locate`` (one reply queue, correlation ids, done at
the first positive reply), ``store`` (``Objects``, the object pipeline that knows no HTTP request:
PUT to a random live server, GET from the locating one) and ``objects`` (the view over it).
Skip on first reading (speed only): ``common.relay`` (a GET body spliced from socket to socket).
Reused: the data server *is* chapter 1's server (its ``Parts``) plus the two background workers;
names, errors, the app skeleton and the gunicorn runner are chapter 1's.
Changed from the book: D8 (names), D10 (messaging), D18 (timeouts, closed responses), D21, D22.
"""
