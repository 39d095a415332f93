"""The web view's frame: its parts, its session and the rules every page of ``/ui/`` keeps (issue 22).

``Web`` holds what the pages are made of (the S3 wing's store and gateway, the cluster, the
event feed, the shard survey) and installs three blueprints under ``/ui/``. Every request to
them is judged here, before its view: signed in (an S3 user's keys; Flask's signed session
cookie, HttpOnly, SameSite=Strict, path ``/ui/``) unless the page is public, and a CSRF token
(Flask-WTF's) on anything but GET and HEAD. Every answer gets a strict Content-Security-Policy:
scripts and styles from ``/ui/static/`` only, no inline script, no framing. What a user may see or
change is decided by the S3 wing (its ACL checks), never here: a page is an S3 call as that user.
"""
import hashlib
import hmac
import io
import secrets
import time
from dataclasses import dataclass

from flask import Blueprint, Flask, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from werkzeug.datastructures import Headers
from wtforms import ValidationError

from final.s3.context import Call
from final.s3.errors import S3Error
from final.s3.gateway import SUBRESOURCES

SESSION_HOURS = 8
PUBLIC = {"auth.signin", "auth.signin_post", "auth.static"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SAFE = ("GET", "HEAD", "OPTIONS")


@dataclass
class Web:
    """What the web view is made of (given by the api server's composition root)."""
    store: object              # the S3 wing's Store (users, buckets, keys)
    gateway: object            # the S3 wing's Gateway: ``perform(call)`` is one S3 operation
    cluster: object            # cluster.Cluster
    feed: object               # events.EventLog
    survey: object             # hashes -> where their pieces are (containers.inventory.survey over live servers)
    secret: str = ""           # signs the session cookie and CSRF tokens (UI_SECRET_KEY)

    def install(self, app: Flask) -> None:
        from final.web import auth, browse, live     # their routes use this module's helpers
        app.extensions["web"] = self
        app.config.update(SECRET_KEY=self.secret or derived_secret(self.store.users), SESSION_COOKIE_NAME="objstore_ui",
                          SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_PATH="/ui/",
                          WTF_CSRF_TIME_LIMIT=SESSION_HOURS * 3600, WTF_CSRF_SSL_STRICT=False)
        app.jinja_env.globals.update(csrf_token=generate_csrf)
        app.jinja_env.filters.update(clock=clock, size=size)
        for blueprint in (auth.blueprint, browse.blueprint, live.blueprint):
            app.register_blueprint(blueprint)
        app.add_url_rule("/ui", "ui_root", lambda: redirect("/ui/"))


def new_blueprint(name: str, import_name: str, **options) -> Blueprint:
    """A blueprint of the web view: under /ui/, with its templates, guarded and secured."""
    blueprint = Blueprint(name, import_name, url_prefix="/ui", template_folder="templates", **options)
    blueprint.before_request(guard)
    blueprint.after_request(secure)
    blueprint.context_processor(lambda: {"signed_in": current_user()})
    return blueprint


def clock(seconds: float) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds or 0))
    except (OverflowError, ValueError, OSError):
        return "?"


def size(count: int) -> str:
    """Bytes for a person: 1.5 MiB."""
    value, unit = float(count or 0), "bytes"
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            break
        value /= 1024
    return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"


def web() -> Web:
    return current_app.extensions["web"]


def derived_secret(users) -> str:
    """A key every api server of one cluster derives alike (they share the users), secret as they are."""
    material = "\0".join(sorted(f"{u.access_key}\0{u.secret_key}" for u in users.by_key.values()))
    return hashlib.sha256(b"objstore-ui\0" + material.encode()).hexdigest()


def current_user():
    """The signed-in S3 user, or None (signed out, expired, or keys changed since)."""
    user = web().store.users.by_key.get(session.get("access_key", ""))
    if user is None or time.time() - session.get("since", 0) > SESSION_HOURS * 3600:
        return None
    return user if hmac.compare_digest(session.get("check", ""), fingerprint(user)) else None


def fingerprint(user) -> str:
    return hmac.new(current_app.secret_key.encode(), user.secret_key.encode(), "sha256").hexdigest()[:32]


def guard():
    """Before every view of /ui/: the CSRF token of a state-changing request, then the sign-in."""
    if request.method not in SAFE:
        token = request.headers.get("X-CSRFToken")
        if token is None and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            token = request.form.get("csrf_token")
        try:
            validate_csrf(token)
        except (ValidationError, CSRFError) as refused:
            return refuse(400, "CSRFRefused", f"the form was refused: {refused}")
    if request.endpoint not in PUBLIC and current_user() is None:
        if wants_json() or request.headers.get("HX-Request"):
            return refuse(401, "SignInRequired", "sign in first")
        return redirect(url_for("auth.signin", next=request.full_path if request.method == "GET" else None))
    return None


def secure(response):
    """Every answer of /ui/: the policy, no sniffing, no framing, no caching of pages."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "auth.static":
        response.headers["Cache-Control"] = "no-store"
    return response


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.path.startswith("/ui/api/")


def refuse(status: int, code: str, message: str):
    """An error for a page (rendered) or for the page's scripts (JSON)."""
    if wants_json() or request.headers.get("HX-Request"):
        return jsonify(error=code, message=message), status
    return render_template("error.html", status=status, code=code, message=message), status


def s3(method: str, bucket: str, key: str = "", query: dict | None = None, headers: dict | None = None,
       body: bytes | None = None, length: int | None = None):
    """One S3 operation as the signed-in user (S3Error when S3 refuses it)."""
    query = dict(query or {})
    if body is not None:
        length, body = len(body), io.BytesIO(body)
    call = Call(method, bucket, key, query, Headers(headers or {}), current_user(), secrets.token_hex(8).upper(),
                f"/{bucket}/{key}" if key else f"/{bucket}", body, length, set(query) & SUBRESOURCES)
    return web().gateway.perform(call)


def failure_of(error: S3Error):
    """An S3 refusal, for a person."""
    return refuse(error.status, error.code, str(error))
