"""The Flask skeleton every server of every chapter starts from.

``new_app`` gives an app with the JSON errors and ``GET /healthz``; ``add_resource`` routes a
prefix such as ``/objects/`` to a ``Resource`` view, which hands each verb method the validated
name taken from the raw path (so ``%2F`` cannot sneak past the router). ``Parts`` is the shape of
every chapter's composition root: the collaborators a server is made of, each built on first use
unless given, so a later chapter swaps one by overriding one property.
"""
import logging
from functools import cached_property
from typing import Callable

from flask import Flask, jsonify, request
from flask.views import MethodView
from werkzeug.routing import BaseConverter

from chapter01_single import errors
from chapter01_single.names import NamePolicy, raw_path

WORKERS = "workers"   # app.extensions key: background workers that main() starts, create_app never


def new_app(config: dict, health: Callable[[], dict] | None = None) -> Flask:
    """A Flask app holding ``config``, with JSON errors and ``/healthz``."""
    app = Flask("pyobjectstorage", static_folder=None)
    app.config.update(config)
    app.url_map.merge_slashes = False      # '//' inside a name is an error, not a redirect
    app.url_map.converters["rest"] = RestOfPath
    app.extensions[WORKERS] = []
    errors.install(app)

    def healthz():
        body = {"status": "ok", "address": config.get("ADVERTISE_ADDRESS") or config.get("LISTEN_ADDRESS")}
        body.update(health() if health else {})
        return jsonify(body)

    app.add_url_rule("/healthz", "healthz", healthz)
    return app


class RestOfPath(BaseConverter):
    """Everything after a prefix, slashes included: the view parses and judges it."""
    regex = r"[\s\S]*"
    part_isolating = False


class Resource(MethodView):
    """A view whose verb methods receive ``name``, parsed from the raw path by ``names``."""
    init_every_request = False
    prefix = "/objects/"
    names: NamePolicy = NamePolicy()

    def dispatch_request(self, **_route_values):
        name = self.names.from_path(raw_path(request.environ), self.prefix)
        return super().dispatch_request(name=name)


def add_resource(app: Flask, view_class: type[Resource], **collaborators) -> None:
    """Route ``view_class.prefix`` and everything below it to one instance of ``view_class``."""
    endpoint = view_class.prefix.strip("/") or "root"
    view_func = view_class.as_view(endpoint, **collaborators)
    app.add_url_rule(view_class.prefix, view_func=view_func, defaults={"_rest": ""})
    app.add_url_rule(view_class.prefix + "<rest:_rest>", view_func=view_func)


class Parts:
    """What a server is made of: each part is a ``cached_property`` built from ``config`` when first
    used, unless given to the constructor (then that object is used as is, and nothing is built
    only to be thrown away). ``app()`` puts them together; ``create_app`` is ``Parts(...).app()``."""
    settings = None          # the chapter's config module, read when no config is given

    def __init__(self, config: dict | None = None, **given):
        self.config = config or self.settings.load()
        for name, part in given.items():
            if not isinstance(getattr(type(self), name, None), cached_property):
                raise TypeError(f"{type(self).__name__} has no part {name!r}")
            if part is not None:
                self.__dict__[name] = part        # what a cached_property would have stored

    def health(self) -> dict:
        """What ``/healthz`` says besides ``status`` and ``address``."""
        return {}

    def app(self) -> Flask:
        raise NotImplementedError


def setup_logging() -> None:
    """Log to stderr with time and level, as every entry point does."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("elastic_transport", "pika", "urllib3"):   # one line per request otherwise
        logging.getLogger(chatty).setLevel(logging.WARNING)
