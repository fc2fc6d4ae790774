"""The routers of the pages: HTML answers, left out of the API's OpenAPI document."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse


def page_router(**options: Any) -> APIRouter:
    """A router of pages; their errors, headers and CSRF check come from the pages' app."""
    return APIRouter(include_in_schema=False, default_response_class=HTMLResponse, **options)
