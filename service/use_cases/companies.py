"""Partner companies: admins manage them, each company edits its own profile, officers read
the public profile of the companies they met on a pilot."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.company_profiles import CompanyProfileQueries
from core.disclosure import PAST_PILOT_FIELDS, ProfileReader, Viewer, company_fields, profile_reader
from core.models import Company, User
from core.repositories import CompanyRepository, ThemeRepository, TownRepository
from core.settings import Settings
from core.signing import verify
from service.auth import end_company_sessions
from service.errors import Forbidden, Invalid, NotFound
from service.schemas.reference import (
    CompanyCreate,
    CompanyProfile,
    CompanyPublic,
    CompanyUpdate,
    PastPilot,
)
from workflows.messages import N_
from workflows.stages import Role


async def list_companies(session: AsyncSession, user: User) -> list[CompanyPublic]:
    """Every company for an admin; a company user sees only its own."""
    if user.role == Role.COMPANY:
        return [CompanyPublic.model_validate(await _visible(session, user, user.company_id))]
    return [CompanyPublic.model_validate(row) for row in await CompanyRepository(session).all()]


async def create_company(session: AsyncSession, body: CompanyCreate) -> CompanyPublic:
    """Add a partner company; its themes and areas must exist (422 otherwise)."""
    await _check_references(session, body.model_dump())
    company = await CompanyRepository(session).add(Company(**body.model_dump()))
    return CompanyPublic.model_validate(company)


async def read_company(session: AsyncSession, user: User, company_id: str) -> CompanyPublic:
    """One company: any for an admin, its own for a company user."""
    return CompanyPublic.model_validate(await _visible(session, user, company_id))


async def read_company_or_profile(
    session: AsyncSession, user: User, company_id: str
) -> CompanyPublic | CompanyProfile:
    """GET /companies/{id}: the company for an admin or itself; for an officer, the public
    profile of a company it met on a pilot (404 for any other)."""
    if user.role == Role.TOWN_OFFICER:
        return await company_profile(session, user, company_id)
    return await read_company(session, user, company_id)


async def company_profile(session: AsyncSession, user: User, company_id: str) -> CompanyProfile:
    """A company's public profile with its past pilots, as core/disclosure.py lets `user`
    read it: an admin, the company itself, or an officer of a town where it is a candidate
    or who sees a pilot it partnered. 404 for anyone else, as for an unknown company."""
    queries = CompanyProfileQueries(session)
    knows = user.role == Role.TOWN_OFFICER and await queries.officer_knows(user, company_id)
    viewer = Viewer(user.role, town_id=user.town_id, company_id=user.company_id)
    reader = profile_reader(viewer, company_id, knows_company=knows)
    company = await CompanyRepository(session).get(company_id)
    if reader == ProfileReader.NONE or company is None:
        raise NotFound(N_("no such company"))
    readable = company_fields(reader)
    # Only what the policy names for this reader: a field it does not name fails here.
    shown = {
        name: getattr(company, name)
        for name in CompanyProfile.model_fields
        if name in readable and name != "past_pilots"
    }
    past = [
        PastPilot.model_validate({part: getattr(row, part) for part in PAST_PILOT_FIELDS})
        for row in await queries.past_pilots(user, company_id)
    ]
    return CompanyProfile.model_validate(shown | {"past_pilots": past})


async def update_company(
    session: AsyncSession, user: User, company_id: str, body: CompanyUpdate
) -> CompanyPublic:
    """Edit a profile and email preferences; only an admin (de)activates a company."""
    company = await _visible(session, user, company_id)
    changes = body.model_dump(exclude_unset=True)
    if "active" in changes and user.role != Role.ADMIN:
        raise Forbidden(N_("only an admin may (de)activate a company"))
    await _check_references(session, changes)
    for field, value in changes.items():
        setattr(company, field, value)
    if changes.get("active") is False:
        # Its users' tokens are refused at once; a later reactivation does not revive them.
        await end_company_sessions(session, company.id)
    await session.flush()
    return CompanyPublic.model_validate(company)


async def company_of_link(session: AsyncSession, settings: Settings, token: str) -> Company | None:
    """The company an email's unsubscribe link was signed for; None for a link we did not sign."""
    company_id = verify(token, settings.secret_key)
    return await CompanyRepository(session).get(company_id) if company_id else None


async def unsubscribe(session: AsyncSession, settings: Settings, token: str) -> Company | None:
    """No more invitations by email for the company of this link; None for a bad link."""
    company = await company_of_link(session, settings, token)
    if company is not None:
        company.unsubscribed = True
        await session.flush()
    return company


async def _visible(session: AsyncSession, user: User, company_id: str | None) -> Company:
    # Another company's profile is hidden (404), not forbidden: its existence is not told.
    if user.role == Role.COMPANY and user.company_id != company_id:
        raise NotFound(N_("no such company"))
    company = await CompanyRepository(session).get(company_id) if company_id else None
    if company is None:
        raise NotFound(N_("no such company"))
    return company


async def _check_references(session: AsyncSession, fields: dict[str, Any]) -> None:
    """422 if a theme code or an area's town id does not exist."""
    unknown_themes = await ThemeRepository(session).missing(fields.get("themes") or [])
    if unknown_themes:
        themes = ", ".join(unknown_themes)
        raise Invalid(N_("no such theme: %(themes)s"), loc=("body", "themes"), themes=themes)
    unknown_towns = await TownRepository(session).missing(fields.get("areas") or [])
    if unknown_towns:
        towns = ", ".join(unknown_towns)
        raise Invalid(N_("no such town: %(towns)s"), loc=("body", "areas"), towns=towns)
