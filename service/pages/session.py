"""The browser session: the API's own bearer token, carried in an HttpOnly cookie.

The cookie holds a token from `service.auth.open_session`, checked by the same query as a
bearer header. Renewal pushes the server-side session's expiry on and keeps the token, so
the forms of an open page (their CSRF token is bound to the session) stay valid.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from core.db import autocommitting
from core.models import User, utcnow
from core.settings import Settings
from service.auth import renew_session, session_id_of, signed_in, token_ttl_seconds
from service.deps import SettingsDep, require_role, sessionmaker_of
from service.errors import Unauthorized
from workflows.stages import Role

SESSION_COOKIE = "pf_session"
LANGUAGE_COOKIE = "pf_lang"


class SignInRequired(Exception):
    """No valid session: the page sends the browser to the sign-in form."""


def cookie_options(settings: Settings) -> dict[str, Any]:
    """HttpOnly, SameSite=Lax, and Secure when the service is served over https."""
    secure = settings.effective_public_url.startswith("https://")
    return {"httponly": True, "samesite": "lax", "secure": secure, "path": "/"}


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, max_age=token_ttl_seconds(settings), **cookie_options(settings)
    )


def forget_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, **cookie_options(settings))


def session_id_from_cookie(request: Request, settings: Settings) -> str | None:
    """The session id the cookie's token carries, if it is well signed."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return session_id_of(token, settings)
    except Unauthorized:
        return None


async def get_page_user(*, request: Request, settings: SettingsDep) -> User:
    """The signed-in user of this browser; SignInRequired if there is none.

    Read on a connection of its own, as for a bearer token (the renewal, if due, is one
    statement of its own): the user comes back detached with its fields loaded, so an error
    page can still be rendered for them after the request's session has rolled back.
    """
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired
    async with autocommitting(sessionmaker_of(request)) as db:
        try:
            caller = await signed_in(db, token, settings)
        except Unauthorized as error:
            raise SignInRequired from error
        # A session in use is renewed once past half its life, so an active user stays in.
        if _seconds_left(caller.expires_at) < token_ttl_seconds(settings) / 2:
            await renew_session(db, caller.session_id, settings)
            request.state.renewed_token = token
    request.state.user = caller.user
    return caller.user


def _seconds_left(expires_at: datetime) -> float:
    return (expires_at - utcnow()).total_seconds()


PageUser = Annotated[User, Depends(get_page_user)]


PageAdmin = Annotated[User, Depends(require_role(Role.ADMIN, user_of=get_page_user))]
PageOfficer = Annotated[User, Depends(require_role(Role.TOWN_OFFICER, user_of=get_page_user))]
PageCompany = Annotated[User, Depends(require_role(Role.COMPANY, user_of=get_page_user))]


def home_of(user: User) -> str:
    """Each role's main page."""
    homes: dict[str, str] = {
        Role.ADMIN: "/admin",
        Role.TOWN_OFFICER: "/officer",
        Role.COMPANY: "/company",
    }
    return homes.get(user.role, "/login")
