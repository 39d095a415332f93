"""final/'s events (issue 23): what the store did, told on RabbitMQ and to webhooks.

- ``records``: S3's event JSON (``{"Records": [...]}``) of an object created, copied, completed or
  removed, and how it travels on the topic exchange ``objectEvents``.
- ``targets``: a bucket's notification configuration (webhook targets with S3's event and key
  filters), and which targets an event goes to.
- ``bus``: ``EventBus``, a server's publisher (confirmed by the broker) and listener of ``objectEvents``.
- ``delivery``: ``python -m final.notifier``: each matching event POSTed to its webhook, at least once,
  in order per key, with retries; one queue per webhook, so a dead one holds up no other.
"""
