"""How page routes answer: HTML error pages instead of JSON, and the same headers everywhere.

The JSON API's error mapping (`service.errors`) stays as it is; a page route catches the
same domain and Temporal errors itself and shows them as a page with the same status.
"""

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException
from temporalio.client import RPCTimeoutOrCancelledError, WorkflowUpdateFailedError
from temporalio.service import RPCError

from core.settings import Settings
from service.errors import Conflict, DomainError, Unavailable, from_temporal
from service.pages.csrf import CsrfRefused, check_csrf
from service.pages.rendering import render
from service.pages.session import (
    SESSION_COOKIE,
    SignInRequired,
    forget_session_cookie,
    set_session_cookie,
)

logger = logging.getLogger(__name__)

# No script at all; inline styles only for the emails shown in sandboxed frames.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # The unsubscribe token is in the address: it must not leak to other sites.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
TEMPORAL_ERRORS = (WorkflowUpdateFailedError, RPCError, RPCTimeoutOrCancelledError)

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def error_page(request: Request, status_code: int, detail: str = "") -> HTMLResponse:
    """A page that says what went wrong, in the reader's language, with the status."""
    context = {"status_code": status_code, "detail": detail, "csrf": False}
    return render(request, "error.html", context, status_code=status_code)


def csrf_page(request: Request) -> HTMLResponse:
    context = {"status_code": 403, "detail": "", "csrf": True}
    return render(request, "error.html", context, status_code=403)


def sign_in_redirect(request: Request, settings: Settings) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    forget_session_cookie(response, settings)
    return response


async def _answer(handler: Handler, request: Request) -> Response:
    settings: Settings = request.app.state.settings
    try:
        return await handler(request)
    except SignInRequired:
        return sign_in_redirect(request, settings)
    except CsrfRefused:
        return csrf_page(request)
    except RequestValidationError:
        # A malformed id or query names nothing that exists.
        return error_page(request, 404)
    except DomainError as error:
        return error_page(request, error.status_code, error.detail)
    except TEMPORAL_ERRORS as error:
        mapped = from_temporal(error)
        if mapped is None:
            raise
        return error_page(request, mapped.status_code, mapped.detail)
    except IntegrityError:
        return error_page(request, Conflict.status_code, "this conflicts with existing data")
    except (OperationalError, PoolTimeoutError, OSError) as error:
        logger.warning("page %s: backing service unreachable: %r", request.url.path, error)
        return error_page(request, Unavailable.status_code)
    except HTTPException as error:
        return error_page(request, error.status_code)


class PageRoute(APIRoute):
    """An HTML page: errors become pages, and every answer gets the pages' headers."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            response = await _answer(handler, request)
            renewed = getattr(request.state, "renewed_token", None)
            cookies = response.headers.getlist("set-cookie")
            if renewed is not None and not any(c.startswith(SESSION_COOKIE) for c in cookies):
                set_session_cookie(response, renewed, request.app.state.settings)
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return page_handler


def page_router(**options: Any) -> APIRouter:
    """A router of pages: HTML, out of the API's OpenAPI document, CSRF-checked on POST."""
    return APIRouter(
        route_class=PageRoute,
        include_in_schema=False,
        default_response_class=HTMLResponse,
        dependencies=[Depends(check_csrf)],
        **options,
    )
