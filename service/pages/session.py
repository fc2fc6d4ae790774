"""The browser session: the API's own bearer token, carried in an HttpOnly cookie.

The cookie holds a token from `service.auth.issue_token`, checked by the same
`get_current_user` as a bearer header, so a password change ends browser sessions too.
"""

import time
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials

from core.models import User
from core.settings import Settings
from service.auth import issue_token, read_token, token_ttl_seconds
from service.deps import SessionDep, SettingsDep, get_current_user
from service.errors import Forbidden, Unauthorized
from workflows.stages import Role

SESSION_COOKIE = "pf_session"
LANGUAGE_COOKIE = "pf_lang"


class SignInRequired(Exception):
    """No valid session: the page sends the browser to the sign-in form."""


def cookie_options(settings: Settings) -> dict[str, Any]:
    """HttpOnly, SameSite=Lax, and Secure when the service is served over https."""
    secure = settings.effective_public_url.startswith("https://")
    return {"httponly": True, "samesite": "lax", "secure": secure, "path": "/"}


def start_session(response: Response, user: User, settings: Settings) -> None:
    token = issue_token(user, settings)
    response.set_cookie(
        SESSION_COOKIE,
        token.access_token,
        max_age=token_ttl_seconds(settings),
        **cookie_options(settings),
    )


def end_session(response: Response, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, **cookie_options(settings))


async def get_page_user(*, request: Request, session: SessionDep, settings: SettingsDep) -> User:
    """The signed-in user of this browser; SignInRequired if there is none."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired
    credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
    try:
        user = await get_current_user(session=session, settings=settings, credentials=credentials)
        expires_at = read_token(token, settings).expires_at
    except Unauthorized as error:
        raise SignInRequired from error
    request.state.user = user
    # A session in use is renewed once past half its life, so an active user stays in.
    if expires_at - time.time() < token_ttl_seconds(settings) / 2:
        request.state.renew_session = True
    return user


PageUser = Annotated[User, Depends(get_page_user)]


def _role(*roles: Role) -> Any:
    allowed = frozenset(roles)

    async def dependency(*, user: PageUser) -> User:
        if user.role not in allowed:
            raise Forbidden(f"a {user.role} may not open this page")
        return user

    return Depends(dependency)


PageAdmin = Annotated[User, _role(Role.ADMIN)]
PageOfficer = Annotated[User, _role(Role.TOWN_OFFICER)]
PageCompany = Annotated[User, _role(Role.COMPANY)]


def home_of(user: User) -> str:
    """Each role's main page."""
    homes: dict[str, str] = {
        Role.ADMIN: "/admin",
        Role.TOWN_OFFICER: "/officer",
        Role.COMPANY: "/company",
    }
    return homes.get(user.role, "/login")
