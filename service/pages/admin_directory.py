"""The programme team's reference data: towns, themes, companies and users, each with its
create form, handled by the JSON API's own create routes.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from core.models import User
from core.repositories import (
    CompanyRepository,
    ThemeRepository,
    TownRepository,
    UserRepository,
)
from core.settings import Settings
from service import accounts
from service.deps import SessionDep, SettingsDep
from service.errors import Conflict, Invalid
from service.pages.flash import Flash, redirect
from service.pages.forms import FORM_ERROR, choices, field_errors, invalid_field, tags, text
from service.pages.i18n import translator
from service.pages.labels import ROLE
from service.pages.rendering import page_locale, render
from service.pages.routing import page_router
from service.pages.session import PageAdmin
from service.routes import companies as company_routes
from service.routes import themes as theme_routes
from service.routes import towns as town_routes
from service.routes import users as user_routes
from service.schemas.reference import CompanyCreate, ThemeCreate, TownCreate
from service.schemas.users import UserCreate
from workflows.messages import N_
from workflows.stages import Role

router = page_router(prefix="/admin")


@dataclass(frozen=True)
class Directory:
    """One kind of reference data: its page, its create schema and the API route that creates."""

    template: str
    schema: type[BaseModel]
    create: Callable[..., Awaitable[Any]]
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


async def _add_user(request: Request, body: UserCreate) -> None:
    state = request.app.state
    await accounts.create_user(
        sessions=state.sessions,
        settings=state.settings,
        guards=state.account_guards,
        temporal=state.temporal,
        body=body,
    )


DIRECTORIES = {
    "towns": Directory(
        "admin/towns.html", TownCreate, town_routes.create_town, _town, N_("Town added.")
    ),
    "themes": Directory(
        "admin/themes.html", ThemeCreate, theme_routes.create_theme, _theme, N_("Theme added.")
    ),
    "companies": Directory(
        "admin/companies.html",
        CompanyCreate,
        company_routes.create_company,
        _company,
        N_("Company added."),
    ),
    "users": Directory(
        "admin/users.html", UserCreate, user_routes.create_user, _user, N_("User added.")
    ),
}


async def _page(
    request: Request,
    session: AsyncSession,
    kind: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    _ = translator(page_locale(request))
    towns = await TownRepository(session).all()
    themes = await ThemeRepository(session).all()
    companies = await CompanyRepository(session).all()
    context = {
        "values": values or {},
        "errors": errors or {},
        "towns": towns,
        "themes": themes,
        "companies": companies,
        "users": await UserRepository(session).all() if kind == "users" else [],
        "town_options": [(town.id, town.name) for town in towns],
        "theme_options": [(theme.code, theme.name) for theme in themes],
        "company_options": [(company.id, company.name) for company in companies],
        "role_options": [(role.value, _(ROLE[role.value])) for role in Role],
        "town_names": {town.id: town.name for town in towns},
        "company_names": {company.id: company.name for company in companies},
    }
    return render(request, DIRECTORIES[kind].template, context, status_code=status_code)


async def _create(
    request: Request, session: AsyncSession, settings: Settings, admin: User, kind: str
) -> Response:
    directory = DIRECTORIES[kind]
    _ = translator(page_locale(request))
    form = await request.form()
    data = directory.read(form)
    values = {**data, "tags": text(form, "tags"), "password": ""}
    try:
        body = directory.schema.model_validate(data)
        if isinstance(body, UserCreate):
            # A user may be invited by email: the accounts service, as the API route uses.
            await _add_user(request, body)
        else:
            await directory.create(body=body, session=session, _admin=admin)
    except ValidationError as error:
        errors = field_errors(error, _)
        return await _page(request, session, kind, values, errors, 422)
    except Invalid as error:
        errors = {invalid_field(error): error.detail}
        return await _page(request, session, kind, values, errors, 422)
    except Conflict as error:
        return await _page(request, session, kind, values, {FORM_ERROR: error.detail}, 409)
    return redirect(f"/admin/{kind}", settings, flash=Flash("success", _(directory.done)))


@router.get("/towns")
async def town_list(*, request: Request, session: SessionDep, _admin: PageAdmin) -> Response:
    """The region's towns, and a form to add one."""
    return await _page(request, session, "towns")


@router.post("/towns")
async def add_town(
    *, request: Request, session: SessionDep, settings: SettingsDep, admin: PageAdmin
) -> Response:
    """Add a town as POST /api/v1/towns does."""
    return await _create(request, session, settings, admin, "towns")


@router.get("/themes")
async def theme_list(*, request: Request, session: SessionDep, _admin: PageAdmin) -> Response:
    """The priority themes, and a form to add one."""
    return await _page(request, session, "themes")


@router.post("/themes")
async def add_theme(
    *, request: Request, session: SessionDep, settings: SettingsDep, admin: PageAdmin
) -> Response:
    """Add a theme as POST /api/v1/themes does."""
    return await _create(request, session, settings, admin, "themes")


@router.get("/companies")
async def company_list(*, request: Request, session: SessionDep, _admin: PageAdmin) -> Response:
    """The partner companies, and a form to add one."""
    return await _page(request, session, "companies")


@router.post("/companies")
async def add_company(
    *, request: Request, session: SessionDep, settings: SettingsDep, admin: PageAdmin
) -> Response:
    """Add a company as POST /api/v1/companies does."""
    return await _create(request, session, settings, admin, "companies")


@router.get("/users")
async def user_list(*, request: Request, session: SessionDep, _admin: PageAdmin) -> Response:
    """Everyone who signs in, and a form to add someone."""
    return await _page(request, session, "users")


@router.post("/users")
async def add_user(
    *, request: Request, session: SessionDep, settings: SettingsDep, admin: PageAdmin
) -> Response:
    """Add a user as POST /api/v1/users does."""
    return await _create(request, session, settings, admin, "users")
