"""Signing in to the web view with an S3 user's access key and secret key (issue 22).

The keys are checked against the S3 users (in constant time); the session then names the access
key and a fingerprint of the secret, so a changed secret signs the user out. The session is
cleared on sign-in (no fixation) and on sign-out, which is a POST with the CSRF token.
"""
import hmac
import time
from urllib.parse import urlsplit

from flask import redirect, render_template, request, session, url_for

from final.web.site import new_blueprint, fingerprint, web

blueprint = new_blueprint("auth", __name__, static_folder="static")


@blueprint.get("/signin")
def signin():
    return render_template("signin.html", next=request.args.get("next", ""))


@blueprint.post("/signin")
def signin_post():
    user = web().store.users.by_key.get(request.form.get("access_key", ""))
    secret = request.form.get("secret_key", "")
    if user is None or not hmac.compare_digest(user.secret_key.encode(), secret.encode()):
        return render_template("signin.html", next=request.form.get("next", ""),
                               message="Unknown access key, or a wrong secret key."), 401
    session.clear()
    session.update(access_key=user.access_key, check=fingerprint(user), since=time.time())
    return redirect(local(request.form.get("next", "")) or url_for("browse.buckets"))


@blueprint.post("/signout")
def signout():
    session.clear()
    return redirect(url_for("auth.signin"))


def local(target: str) -> str | None:
    """``target`` if it is a path of this web view (never another site: no open redirect)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/ui/") or "\\" in target:
        return None
    return target
