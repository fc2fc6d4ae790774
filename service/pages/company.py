"""A partner company's pages: its invitations and trials, and its profile."""

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import User
from core.pilot_repository import PilotFilters
from service.deps import SessionDep, SettingsDep
from service.errors import Invalid
from service.pages.directory import load_names
from service.pages.flash import Flash, redirect
from service.pages.forms import choices, field_errors, invalid_field, optional, tags, text
from service.pages.i18n import said, translator
from service.pages.rendering import page_locale, render
from service.pages.routing import page_router
from service.pages.session import PageCompany
from service.schemas.pilots import PilotPublic
from service.schemas.reference import CompanyPublic, CompanyUpdate
from service.use_cases import companies, pilots
from service.use_cases.themes import list_themes
from service.use_cases.towns import list_towns
from workflows.contracts import CandidateStatus
from workflows.stages import Stage

router = page_router(prefix="/company")

LISTED = 100
GROUPS = ("to_answer", "answered", "trials", "past")
PROFILE_FIELDS = ("name", "contact_email", "description", "locale")


def _group(pilot: PilotPublic) -> str:
    """Where an invitation belongs on the page, by the company's own answer."""
    status = pilot.candidates[0].status if pilot.candidates else ""
    if status == CandidateStatus.SELECTED:
        return "trials"
    if pilot.stage == Stage.MATCHING and status == CandidateStatus.INVITED:
        return "to_answer"
    if pilot.stage == Stage.MATCHING and status in (
        CandidateStatus.INTERESTED,
        CandidateStatus.DECLINED,
    ):
        return "answered"
    return "past"


@router.get("")
async def invitations(*, request: Request, session: SessionDep, company: PageCompany) -> Response:
    """Invitations to answer, answers given, trials as partner, and past invitations."""
    page = await pilots.list_pilots(session, company, PilotFilters(), limit=LISTED)
    groups: dict[str, list[PilotPublic]] = {
        "to_answer": [],
        "answered": [],
        "trials": [],
        "past": [],
    }
    for pilot in page.items:
        groups[_group(pilot)].append(pilot)
    context = {"groups": groups, "names": await load_names(session), "now": datetime.now(UTC)}
    return render(request, "company/invitations.html", context)


@router.get("/profile")
async def profile(*, request: Request, session: SessionDep, company: PageCompany) -> Response:
    """The company's profile and email preferences."""
    public = await companies.read_company(session, company, _company_id(company))
    return await _profile_page(request, session, _values_of(public), {})


@router.post("/profile")
async def save_profile(
    *, request: Request, session: SessionDep, settings: SettingsDep, company: PageCompany
) -> Response:
    """Save the profile as PATCH /api/v1/companies/{id} does; errors go beside their fields."""
    _ = translator(page_locale(request))
    form = await request.form()
    data: dict[str, Any] = {name: text(form, name).strip() for name in PROFILE_FIELDS}
    data |= {"themes": choices(form, "themes"), "tags": tags(form, "tags")}
    data |= {"areas": choices(form, "areas"), "unsubscribed": optional(form, "emails") != "yes"}
    values = {**data, "tags": text(form, "tags"), "emails": optional(form, "emails") or ""}
    try:
        body = CompanyUpdate.model_validate(data)
        await companies.update_company(session, company, _company_id(company), body)
    except ValidationError as error:
        errors = field_errors(error, _)
        return await _profile_page(request, session, values, errors, 422)
    except Invalid as error:
        errors = {invalid_field(error): said(error, _)}
        return await _profile_page(request, session, values, errors, 422)
    return redirect("/company/profile", settings, flash=Flash("success", _("Profile saved.")))


def _company_id(user: User) -> str:
    assert user.company_id is not None  # a company user always has its company
    return user.company_id


def _values_of(company: CompanyPublic) -> dict[str, Any]:
    return {
        "name": company.name,
        "contact_email": company.contact_email,
        "description": company.description,
        "locale": company.locale,
        "themes": company.themes,
        "tags": ", ".join(company.tags),
        "areas": company.areas,
        "emails": "" if company.unsubscribed else "yes",
    }


async def _profile_page(
    request: Request,
    session: AsyncSession,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    context = {
        "values": values,
        "errors": errors,
        "themes": [(theme.code, theme.name) for theme in await list_themes(session)],
        "towns": [(town.id, town.name) for town in await list_towns(session)],
    }
    return render(request, "company/profile.html", context, status_code=status_code)
