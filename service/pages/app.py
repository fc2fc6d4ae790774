"""The pages as their own application, mounted beside the JSON API at the site's root.

It has its own exception handlers (errors become HTML pages, service/pages/errors.py) and its
own middleware (security headers, the renewed session cookie), and shares the API's state:
the same settings, database, Temporal connector and sign-in guards.
"""

from fastapi import Depends, FastAPI
from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from core.settings import PROJECT_ROOT
from service.pages import (
    admin,
    admin_directory,
    company,
    exports,
    imports,
    monitoring,
    officer,
    password,
    pilot,
    profile,
    signin,
    unsubscribe,
)
from service.pages.csrf import check_csrf
from service.pages.errors import register_page_error_handlers
from service.pages.headers import PageHeadersMiddleware
from service.request_context import NO_TELEMETRY, bind_pilot_id

STATIC_DIR = PROJECT_ROOT / "static"

PAGE_ROUTERS = (
    signin.router,
    officer.router,
    pilot.router,
    company.router,
    admin.router,
    admin_directory.router,
    imports.router,
    monitoring.router,
    unsubscribe.router,
    password.router,
    profile.router,
    exports.router,
)


class PagesMount(Mount):
    """The pages at the root, answering only their own paths.

    Any other path stays the API's, so an unknown path or method keeps its JSON 404 or 405.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is Match.NONE:
            return match, child_scope
        inner = {**scope, **child_scope}
        if any(route.matches(inner)[0] is not Match.NONE for route in self.routes):
            return match, child_scope
        return Match.NONE, {}


def create_pages_app(api: FastAPI) -> FastAPI:
    """The web pages, sharing the API's state (built by its lifespan)."""
    pages = FastAPI(
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(bind_pilot_id), Depends(check_csrf)],
        telemetry=NO_TELEMETRY,
    )
    pages.state = api.state
    register_page_error_handlers(pages)
    for router in PAGE_ROUTERS:
        pages.include_router(router)
    # check_dir=False: an image built without static/ still serves its pages, unstyled.
    pages.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    pages.add_middleware(PageHeadersMiddleware, settings=api.state.settings)
    return pages


def mount_pages(api: FastAPI) -> None:
    """Mount the pages beside the API's routes; call it after including them."""
    api.router.routes.append(PagesMount("", app=create_pages_app(api), name="pages"))
