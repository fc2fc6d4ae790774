"""Signing in and out, choosing the language, and each role's way home."""

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response

from service.deps import (
    AccountGuardsDep,
    ClientAddress,
    SessionDep,
    SessionmakerDep,
    SettingsDep,
)
from service.errors import TooManyRequests, Unauthorized
from service.pages.flash import Flash, redirect
from service.pages.i18n import LOCALES, translator
from service.pages.rendering import page_locale, render, render_throttled
from service.pages.routing import page_router
from service.pages.session import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    cookie_options,
    forget_session_cookie,
    get_page_user,
    home_of,
    session_id_from_cookie,
    set_session_cookie,
)
from service.use_cases import accounts, users

router = page_router()

NextPath = Annotated[str, Query(alias="next", max_length=500)]
# A year: the language chosen before sign-in is a preference, not a secret.
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site; never another site (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@router.get("/")
async def home(*, request: Request, settings: SettingsDep) -> Response:
    """Each role's main page, or the sign-in form."""
    if not request.cookies.get(SESSION_COOKIE):
        return RedirectResponse("/login", status_code=303)
    user = await get_page_user(request=request, settings=settings)
    return RedirectResponse(home_of(user), status_code=303)


@router.get("/login")
async def login_form(*, request: Request, next_path: NextPath = "") -> Response:
    """The sign-in form."""
    return render(request, "login.html", {"next": local_path(next_path) or "", "email": ""})


@router.post("/login")
async def login(
    *,
    request: Request,
    sessions: SessionmakerDep,
    settings: SettingsDep,
    guards: AccountGuardsDep,
    address: ClientAddress,
) -> Response:
    """Check the email and password as the API does (same throttle); start a session cookie."""
    form = await request.form()
    email = str(form.get("email") or "").strip()[:320]
    password = str(form.get("password") or "")[:256]
    target = local_path(str(form.get("next") or ""))
    context: dict[str, object] = {"next": target or "", "email": email}
    try:
        user, token = await accounts.sign_in(
            sessions=sessions,
            settings=settings,
            guards=guards,
            email=email,
            password=password,
            address=address,
        )
    except Unauthorized:
        return render(request, "login.html", context | {"failed": True}, status_code=401)
    except TooManyRequests as error:
        return render_throttled(request, "login.html", context, error)
    signed_in = RedirectResponse(target or home_of(user), status_code=303)
    set_session_cookie(signed_in, token.access_token, settings)
    return signed_in


@router.post("/logout")
async def logout(*, request: Request, sessions: SessionmakerDep, settings: SettingsDep) -> Response:
    """End this browser's session, on the server too."""
    session_id = session_id_from_cookie(request, settings)
    if session_id is not None:
        await accounts.sign_out(sessions, session_id)
    _ = translator(page_locale(request))
    response = redirect("/login", settings, flash=Flash("success", _("You are signed out.")))
    forget_session_cookie(response, settings)
    return response


@router.post("/language")
async def choose_language(
    *, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Show the pages in French or English; a signed-in user's choice is kept in their profile."""
    form = await request.form()
    locale = str(form.get("locale") or "")
    target = local_path(str(form.get("next") or "")) or "/"
    if locale not in LOCALES:
        return RedirectResponse(target, status_code=303)
    if request.cookies.get(SESSION_COOKIE):
        user = await get_page_user(request=request, settings=settings)
        await users.choose_locale(session, user.id, locale)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        LANGUAGE_COOKIE, locale, max_age=LANGUAGE_COOKIE_SECONDS, **cookie_options(settings)
    )
    return response
