"""Jinja2 pages under `templates/pages/`, with what every page needs in its context."""

import math
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from core import i18n
from core.models import User
from core.settings import Settings
from service.errors import TooManyRequests
from service.pages.csrf import FIELD as CSRF_FIELD
from service.pages.csrf import csrf_token, remember_anonymous_seed
from service.pages.flash import clear_flash, take_flash
from service.pages.i18n import normalize_locale
from service.pages.labels import label
from service.pages.session import LANGUAGE_COOKIE
from workflows.messages import N_
from workflows.stages import Role

NAVIGATION: dict[str, list[tuple[str, str]]] = {
    Role.TOWN_OFFICER: [
        ("/officer", N_("Pilots")),
        ("/officer/pilots/new", N_("Submit a pilot")),
        ("/profile", N_("My profile")),
    ],
    Role.COMPANY: [("/company", N_("Invitations and trials")), ("/company/profile", N_("Profile"))],
    Role.ADMIN: [
        ("/admin", N_("Overview")),
        ("/admin/pilots", N_("Pilots")),
        ("/admin/towns", N_("Towns")),
        ("/admin/companies", N_("Companies")),
        ("/admin/users", N_("Users")),
        ("/admin/themes", N_("Themes")),
        ("/admin/imports", N_("Import")),
        ("/admin/mailbox", N_("Mailbox")),
        ("/admin/health", N_("Health")),
    ],
}


@lru_cache(maxsize=4)
def environment(templates_dir: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(f"{templates_dir}/pages"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Words, dates and numbers in the reader's language, as in the emails.
    i18n.install(env)
    env.filters["label"] = label
    env.globals["csrf_field"] = CSRF_FIELD
    return env


def page_locale(request: Request) -> str:
    """The signed-in user's language; before sign-in, the one last chosen in this browser."""
    user: User | None = getattr(request.state, "user", None)
    if user is not None:
        return normalize_locale(user.locale)
    return normalize_locale(request.cookies.get(LANGUAGE_COOKIE))


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """The page `template` rendered for this request's user, language and session."""
    settings: Settings = request.app.state.settings
    user: User | None = getattr(request.state, "user", None)
    locale = page_locale(request)
    values = {
        "user": user,
        "locale": locale,
        "csrf_token": csrf_token(request, settings),
        "flash": take_flash(request, settings),
        "navigation": NAVIGATION.get(user.role, []) if user else [],
        "path": request.url.path,
        **(context or {}),
    }
    html = environment(str(settings.templates_dir)).get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code)
    clear_flash(request, response, settings)
    remember_anonymous_seed(request, response, settings)
    return response


def render_throttled(
    request: Request, template: str, context: dict[str, Any], error: TooManyRequests
) -> HTMLResponse:
    """The page again, 429, saying in how many minutes to try again (and `Retry-After`)."""
    minutes = max(1, math.ceil((error.retry_after or 60) / 60))
    response = render(request, template, context | {"retry_minutes": minutes}, status_code=429)
    response.headers.update(error.response_headers())
    return response
