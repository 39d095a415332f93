"""Errors as small exception classes, mapped to HTTP statuses in one place.

Every error answer is JSON ``{"error": "<Code>", "message": "<text>"}`` (interfaces.md); a 405 keeps
its ``Allow`` header. An unexpected exception is logged and answered 500, never a crash.
"""
import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class StorageError(Exception):
    """Base class: ``status`` and ``code`` say how the api answers it."""
    status = 500
    code = "InternalError"
    headers: tuple = ()     # extra response headers, as (name, value) pairs

    def __init__(self, message: str | None = None, headers=()):
        super().__init__(message or self.__doc__.strip())
        self.headers = tuple(headers) or self.headers

    def __str__(self):
        return self.args[0]


class BadRequest(StorageError):
    """The request is malformed."""
    status, code = 400, "BadRequest"


class InvalidName(BadRequest):
    """The object name is not allowed."""
    code = "InvalidName"


class ObjectNotFound(StorageError):
    """No such object."""
    status, code = 404, "NoSuchObject"


class ServiceUnavailable(StorageError):
    """A service this request needs is not available; try again later."""
    status, code = 503, "ServiceUnavailable"


def error_response(status: int, code: str, message: str, headers=None):
    """The JSON error body of interfaces.md with ``status``."""
    response = jsonify(error=code, message=message)
    response.status_code = status
    for key, value in headers or ():
        response.headers[key] = value
    return response


def install(app: Flask) -> None:
    """Answer every error of ``app`` as JSON."""
    app.register_error_handler(StorageError, _storage_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _storage_error(error: StorageError):
    if error.status >= 500:
        log.warning("%s: %s", error.code, error)
    return error_response(error.status, error.code, str(error), error.headers)


def _http_error(error: HTTPException):
    code = type(error).__name__
    kept = [(k, v) for k, v in error.get_headers() if k.lower() == "allow"]
    return error_response(error.code or 500, code, error.description or code, kept)


def _unexpected(error: Exception):
    log.exception("unexpected error")
    return error_response(500, "InternalError", "internal error, see the server log")
