"""The web pages: each role's daily work in the browser, on the JSON API's own code paths."""

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from core.settings import PROJECT_ROOT
from service.pages import (
    admin,
    admin_directory,
    company,
    monitoring,
    officer,
    password,
    pilot,
    signin,
    unsubscribe,
)

STATIC_DIR = PROJECT_ROOT / "static"

PAGE_ROUTERS = (
    signin.router,
    officer.router,
    pilot.router,
    company.router,
    admin.router,
    admin_directory.router,
    monitoring.router,
    unsubscribe.router,
    password.router,
)


def include_pages(app: FastAPI) -> None:
    """Add the pages and their stylesheet to the app."""
    for router in PAGE_ROUTERS:
        app.include_router(router)
    # check_dir=False: an image built without static/ still serves its pages, unstyled.
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
