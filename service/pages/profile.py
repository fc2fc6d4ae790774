"""Profiles: each user's own (name, language, offers of generalized pilots), and a
company's public profile, which an officer opens from a pilot's list of candidates."""

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from core.models import User
from service.deps import SessionDep, SettingsDep
from service.pages.directory import load_names
from service.pages.flash import Flash, redirect
from service.pages.forms import field_errors, optional, text
from service.pages.i18n import translator
from service.pages.rendering import page_locale, render
from service.pages.routing import page_router
from service.pages.session import PageUser
from service.schemas.common import IdPath
from service.schemas.users import ProfileUpdate
from service.use_cases import companies, users
from workflows.stages import Role

router = page_router()


def _offers_apply(user: User) -> bool:
    """Generalized pilots are offered to town officers only (SPEC, step 5)."""
    return user.role == Role.TOWN_OFFICER


@router.get("/profile")
async def profile(*, request: Request, user: PageUser) -> Response:
    """The signed-in user's profile."""
    values = {
        "name": user.name,
        "locale": user.locale,
        "receives_offers": "yes" if user.receives_offers else "",
    }
    return _profile_page(request, user, values, {})


@router.post("/profile")
async def save_profile(
    *, request: Request, session: SessionDep, settings: SettingsDep, user: PageUser
) -> Response:
    """Save the profile as PATCH /api/v1/me does; errors go beside their fields."""
    _ = translator(page_locale(request))
    form = await request.form()
    data: dict[str, Any] = {"name": text(form, "name").strip(), "locale": text(form, "locale")}
    if _offers_apply(user):
        data["receives_offers"] = optional(form, "receives_offers") == "yes"
    values = {**data, "receives_offers": optional(form, "receives_offers") or ""}
    try:
        body = ProfileUpdate.model_validate(data)
    except ValidationError as error:
        return _profile_page(request, user, values, field_errors(error, _), 422)
    await users.update_profile(session, user.id, body)
    # The flash is read on the next page, in the language just chosen.
    _ = translator(body.locale or user.locale)
    return redirect("/profile", settings, flash=Flash("success", _("Profile saved.")))


def _profile_page(
    request: Request,
    user: User,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    context = {"values": values, "errors": errors, "offers_apply": _offers_apply(user)}
    return render(request, "profile.html", context, status_code=status_code)


@router.get("/companies/{company_id}")
async def company_profile(
    *, request: Request, company_id: IdPath, session: SessionDep, user: PageUser
) -> Response:
    """A company's public profile: for admins, the company itself, and the officers of a
    town where it is a candidate or who see a pilot it partnered (404 for anyone else)."""
    public = await companies.company_profile(session, user, company_id)
    context = {"company": public, "names": await load_names(session)}
    return render(request, "company_profile.html", context)
