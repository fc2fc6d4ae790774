"""Cross-site request forgery: every form carries a token bound to this browser's session.

The token is a keyed hash of the server-side session's id (or, before sign-in, of a random
cookie), so it changes at sign-in, survives the session's renewal (an open page's forms stay
valid), and another site can neither read nor forge it. Every POST to a page without the
right token is refused with 403.
"""

import hashlib
import hmac
import secrets

from fastapi import Request
from fastapi.responses import Response

from core.settings import Settings
from service.errors import Forbidden
from service.pages.session import cookie_options, session_id_from_cookie
from workflows.messages import N_

FIELD = "csrf_token"
ANONYMOUS_COOKIE = "pf_csrf"
REFUSED = N_("this form has no valid security token")


class CsrfRefused(Forbidden):
    """A form that did not come from this site's page, or from an older session."""


def _seed(request: Request, settings: Settings) -> str | None:
    session_id = session_id_from_cookie(request, settings)
    if session_id is not None:
        return f"session:{session_id}"
    return request.cookies.get(ANONYMOUS_COOKIE)


def _token(seed: str, settings: Settings) -> str:
    key = hmac.new(settings.secret_key.encode(), b"csrf", hashlib.sha256).digest()
    return hmac.new(key, seed.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request, settings: Settings) -> str:
    """The token for this browser's forms; seeds a random cookie before sign-in."""
    seed = _seed(request, settings)
    if seed is None:
        seed = secrets.token_urlsafe(32)
        # The response sets it (see `remember_anonymous_seed`); later reads find it here.
        request.state.new_csrf_seed = seed
        request.cookies[ANONYMOUS_COOKIE] = seed
    return _token(seed, settings)


def remember_anonymous_seed(request: Request, response: Response, settings: Settings) -> None:
    seed = getattr(request.state, "new_csrf_seed", None)
    if seed is not None:
        response.set_cookie(ANONYMOUS_COOKIE, seed, **cookie_options(settings))


async def check_csrf(request: Request) -> None:
    """Refuse a POST whose form lacks this browser's token (a router dependency)."""
    if request.method != "POST":
        return
    settings: Settings = request.app.state.settings
    seed = _seed(request, settings)
    sent = (await request.form()).get(FIELD)
    if seed is None or not isinstance(sent, str):
        raise CsrfRefused(REFUSED)
    if not hmac.compare_digest(sent.encode(), _token(seed, settings).encode()):
        raise CsrfRefused(REFUSED)
