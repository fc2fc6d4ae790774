"""The programme team's reference data: towns, themes, companies and users, each with its
create form, handled by the JSON API's own create routes.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from core.models import User
from core.settings import Settings
from service.deps import (
    AccountGuardsDep,
    SessionDep,
    SessionmakerDep,
    SettingsDep,
    TemporalConnectorDep,
)
from service.errors import Conflict, Invalid
from service.pages.flash import Flash, redirect
from service.pages.forms import FORM_ERROR, choices, field_errors, invalid_field, tags, text
from service.pages.i18n import said, translator
from service.pages.labels import ROLE
from service.pages.rendering import page_locale, render
from service.pages.routing import page_router
from service.pages.session import PageAdmin
from service.schemas.reference import CompanyCreate, ThemeCreate, TownCreate
from service.schemas.users import UserCreate
from service.use_cases import accounts, companies, themes, towns, users
from workflows.messages import N_
from workflows.stages import Role

router = page_router(prefix="/admin")

Body = TypeVar("Body", bound=BaseModel)


@dataclass(frozen=True)
class Directory(Generic[Body]):
    """One kind of reference data: its page, how to read its form, and its create schema."""

    path: str
    template: str
    schema: type[Body]
    read: Callable[[FormData], dict[str, Any]]
    done: str


def _optional_fields(form: FormData, *names: str) -> dict[str, Any]:
    """The fields that were filled in; the others take the schema's defaults."""
    return {name: value for name in names if (value := text(form, name).strip())}


def _town(form: FormData) -> dict[str, Any]:
    return {"name": text(form, "name"), **_optional_fields(form, "code")}


def _theme(form: FormData) -> dict[str, Any]:
    return {name: text(form, name) for name in ("code", "name", "description")}


def _company(form: FormData) -> dict[str, Any]:
    fields = {name: text(form, name) for name in ("name", "contact_email", "description")}
    return fields | {
        "themes": choices(form, "themes"),
        "tags": tags(form, "tags"),
        "areas": choices(form, "areas"),
        "locale": text(form, "locale") or "fr",
    }


def _user(form: FormData) -> dict[str, Any]:
    fields = {name: text(form, name) for name in ("email", "name", "role")}
    # No password: the person is invited by email to choose one.
    return fields | _optional_fields(form, "password", "town_id", "company_id", "locale")


TOWNS = Directory("/admin/towns", "admin/towns.html", TownCreate, _town, N_("Town added."))
THEMES = Directory("/admin/themes", "admin/themes.html", ThemeCreate, _theme, N_("Theme added."))
COMPANIES = Directory(
    "/admin/companies", "admin/companies.html", CompanyCreate, _company, N_("Company added.")
)
USERS = Directory("/admin/users", "admin/users.html", UserCreate, _user, N_("User added."))
DIRECTORIES: dict[str, Directory[Any]] = {
    "towns": TOWNS,
    "themes": THEMES,
    "companies": COMPANIES,
    "users": USERS,
}


async def _page(
    request: Request,
    session: AsyncSession,
    admin: User,
    directory: Directory[Any],
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    _ = translator(page_locale(request))
    town_list = await towns.list_towns(session)
    theme_list = await themes.list_themes(session)
    company_list = await companies.list_companies(session, admin)
    context = {
        "values": values or {},
        "errors": errors or {},
        "towns": town_list,
        "themes": theme_list,
        "companies": company_list,
        "users": await users.list_users(session) if directory is USERS else [],
        "town_options": [(town.id, town.name) for town in town_list],
        "theme_options": [(theme.code, theme.name) for theme in theme_list],
        "company_options": [(company.id, company.name) for company in company_list],
        "role_options": [(role.value, _(ROLE[role.value])) for role in Role],
        "town_names": {town.id: town.name for town in town_list},
        "company_names": {company.id: company.name for company in company_list},
    }
    return render(request, directory.template, context, status_code=status_code)


async def _create(
    request: Request,
    session: AsyncSession,
    admin: User,
    settings: Settings,
    directory: Directory[Body],
    create: Callable[[Body], Awaitable[object]],
) -> Response:
    """Read the form, validate it with the API's schema, create; errors go beside their fields."""
    _ = translator(page_locale(request))
    form = await request.form()
    data = directory.read(form)
    values = {**data, "tags": text(form, "tags"), "password": ""}
    try:
        await create(directory.schema.model_validate(data))
    except ValidationError as error:
        errors = field_errors(error, _)
        return await _page(request, session, admin, directory, values, errors, 422)
    except Invalid as error:
        errors = {invalid_field(error): said(error, _)}
        return await _page(request, session, admin, directory, values, errors, 422)
    except Conflict as error:
        return await _page(
            request, session, admin, directory, values, {FORM_ERROR: said(error, _)}, 409
        )
    return redirect(directory.path, settings, flash=Flash("success", _(directory.done)))


@router.get("/towns")
async def town_list(*, request: Request, session: SessionDep, admin: PageAdmin) -> Response:
    """The region's towns, and a form to add one."""
    return await _page(request, session, admin, TOWNS)


@router.post("/towns")
async def add_town(
    *, request: Request, session: SessionDep, settings: SettingsDep, admin: PageAdmin
) -> Response:
    """Add a town as POST /api/v1/towns does."""

    async def create(body: TownCreate) -> object:
        return await towns.create_town(session, body)

    return await _create(request, session, admin, settings, TOWNS, create)


@router.get("/themes")
async def theme_list(*, request: Request, session: SessionDep, admin: PageAdmin) -> Response:
    """The priority themes, and a form to add one."""
    return await _page(request, session, admin, THEMES)


@router.post("/themes")
async def add_theme(
    *, request: Request, session: SessionDep, settings: SettingsDep, admin: PageAdmin
) -> Response:
    """Add a theme as POST /api/v1/themes does."""

    async def create(body: ThemeCreate) -> object:
        return await themes.create_theme(session, body)

    return await _create(request, session, admin, settings, THEMES, create)


@router.get("/companies")
async def company_list(*, request: Request, session: SessionDep, admin: PageAdmin) -> Response:
    """The partner companies, and a form to add one."""
    return await _page(request, session, admin, COMPANIES)


@router.post("/companies")
async def add_company(
    *, request: Request, session: SessionDep, settings: SettingsDep, admin: PageAdmin
) -> Response:
    """Add a company as POST /api/v1/companies does."""

    async def create(body: CompanyCreate) -> object:
        return await companies.create_company(session, body)

    return await _create(request, session, admin, settings, COMPANIES, create)


@router.get("/users")
async def user_list(*, request: Request, session: SessionDep, admin: PageAdmin) -> Response:
    """Everyone who signs in, and a form to add someone."""
    return await _page(request, session, admin, USERS)


@router.post("/users")
async def add_user(
    *,
    request: Request,
    session: SessionDep,
    sessions: SessionmakerDep,
    settings: SettingsDep,
    guards: AccountGuardsDep,
    temporal: TemporalConnectorDep,
    admin: PageAdmin,
) -> Response:
    """Add a user as POST /api/v1/users does; without a password, invited by email."""

    async def create(body: UserCreate) -> object:
        return await accounts.create_user(
            sessions=sessions, settings=settings, guards=guards, temporal=temporal, body=body
        )

    return await _create(request, session, admin, settings, USERS, create)
