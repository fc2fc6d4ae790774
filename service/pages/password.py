"""Choosing a password: asking for a reset link, and the page an emailed link opens."""

from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError

from service.deps import (
    AccountGuardsDep,
    ClientAddress,
    SessionmakerDep,
    SettingsDep,
    TemporalConnectorDep,
)
from service.errors import Invalid, TooManyRequests
from service.pages.flash import Flash, redirect
from service.pages.i18n import translator
from service.pages.rendering import page_locale, render, render_throttled
from service.pages.routing import page_router
from service.schemas.common import Password
from service.use_cases import accounts

router = page_router(prefix="/password")

Token = Annotated[str, Path(max_length=1000)]
_PASSWORD = TypeAdapter(Password)


@router.get("/forgot")
async def forgot_form(*, request: Request) -> Response:
    """The form that asks for a reset link."""
    return render(request, "password_forgot.html", {"email": "", "sent": False})


@router.post("/forgot")
async def forgot(
    *,
    request: Request,
    sessions: SessionmakerDep,
    settings: SettingsDep,
    guards: AccountGuardsDep,
    temporal: TemporalConnectorDep,
    address: ClientAddress,
) -> Response:
    """Send a reset link if the address is an account's; the same page either way."""
    form = await request.form()
    email = str(form.get("email") or "").strip()[:320]
    try:
        await accounts.request_password_reset(
            sessions=sessions,
            settings=settings,
            guards=guards,
            temporal=temporal,
            email=email,
            address=address,
        )
    except TooManyRequests as error:
        context = {"email": email, "sent": False}
        return render_throttled(request, "password_forgot.html", context, error)
    return render(request, "password_forgot.html", {"email": email, "sent": True})


@router.get("/{token}")
async def choose_form(
    *, request: Request, token: Token, sessions: SessionmakerDep, settings: SettingsDep
) -> Response:
    """The form to choose a password, or why the link no longer works."""
    try:
        await accounts.link_claims(sessions, settings, token)
    except Invalid:
        return render(request, "password_set.html", {"valid": False}, status_code=404)
    return render(request, "password_set.html", {"valid": True, "token": token, "errors": {}})


@router.post("/{token}")
async def choose(
    *,
    request: Request,
    token: Token,
    sessions: SessionmakerDep,
    settings: SettingsDep,
    guards: AccountGuardsDep,
) -> Response:
    """Set the password, end every session, and send the user to sign in."""
    _ = translator(page_locale(request))
    form = await request.form()
    password = str(form.get("password") or "")
    errors: dict[str, str] = {}
    try:
        _PASSWORD.validate_python(password)
    except ValidationError:
        errors["password"] = _("At least 8 characters.")
    if not errors and password != str(form.get("confirm") or ""):
        errors["confirm"] = _("The two passwords differ.")
    if errors:
        context = {"valid": True, "token": token, "errors": errors}
        return render(request, "password_set.html", context, status_code=422)
    try:
        await accounts.set_password_from_link(
            sessions=sessions, settings=settings, guards=guards, token=token, password=password
        )
    except Invalid:
        return render(request, "password_set.html", {"valid": False}, status_code=404)
    done = Flash("success", _("Your password is set: sign in with it."))
    return redirect("/login", settings, flash=done)
