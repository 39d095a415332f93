"""The api side of the temp-object protocol (book §3.2 ``TempPutStream``, fixed per D5, D13).

``POST /temp/<name>`` (``size`` header) opens a temp object on a data server; the body goes as
one streaming ``PATCH`` (not one request per 32 KiB); ``PUT`` commits, ``DELETE`` drops. Every
status is checked, and a ``TempUpload`` used as a context manager drops its temp unless it was
committed, so a failed or rejected upload leaves nothing in ``temp/``.
"""
import logging
import uuid
from typing import Iterable

from chapter02_distributed.common.objectstream import DataServerError, request, sized, url

log = logging.getLogger(__name__)


class TempUpload:
    """One temp object on one data server."""

    def __init__(self, server: str, name: str, size: int):
        self.server, self.name, self.size = server, name, size
        self.committed = False
        answer = _checked("POST", url(server, "temp", name), headers={"size": str(size)})
        self.uuid = _uuid(answer.text, server)

    @property
    def url(self) -> str:
        return url(self.server, "temp", self.uuid)

    def send(self, chunks: Iterable[bytes]) -> None:
        """Append ``chunks`` with one streaming PATCH."""
        _checked("PATCH", self.url, data=self.body(chunks))

    def body(self, chunks: Iterable[bytes]) -> Iterable[bytes]:
        """The PATCH body: exactly ``size`` bytes, sent with that Content-Length."""
        return sized(chunks, self.size)

    def commit(self) -> None:
        _checked("PUT", self.url, headers=self.commit_headers())
        self.committed = True

    def commit_headers(self) -> dict:
        """Headers of the committing PUT (chapter 7 tells a size there)."""
        return {}

    def abort(self) -> None:
        """Drop the temp object; a failure is only logged (from chapter 6 on, a sweeper is the backstop)."""
        try:
            _checked("DELETE", self.url)
        except DataServerError as error:
            log.warning("could not drop temp %s on %s: %s", self.uuid, self.server, error)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if not self.committed:
            self.abort()


def _checked(method: str, target: str, **kwargs):
    response = request(method, target, **kwargs)
    response.close()
    if response.status_code != 200:
        raise DataServerError(f"{method} {target} answered {response.status_code}: {response.text[:200]}")
    return response


def _uuid(text: str, server: str) -> str:
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise DataServerError(f"{server} answered a temp POST with {text[:80]!r}, not a uuid") from None
