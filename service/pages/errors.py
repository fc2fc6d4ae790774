"""The pages' exception handlers: the API's own error mapping, answered as HTML pages.

Statuses come from `service.errors.domain_error_of`, as for the JSON API; only the answer's
form differs: a page in the reader's language, the sign-in form, or the CSRF refusal.
"""

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from core.settings import Settings
from service.errors import MAPPED_ERRORS, allowed_methods, domain_error_of
from service.pages.csrf import CsrfRefused
from service.pages.headers import add_page_headers
from service.pages.i18n import said, translator
from service.pages.rendering import page_locale, render
from service.pages.session import SignInRequired, forget_session_cookie

logger = logging.getLogger(__name__)


def error_page(request: Request, status_code: int, detail: str = "") -> HTMLResponse:
    """A page that says what went wrong (`detail`, already in the reader's language)."""
    context = {"status_code": status_code, "detail": detail, "csrf": False, "busy": False}
    return render(request, "error.html", context, status_code=status_code)


def busy_page(request: Request, retry_after_seconds: int) -> HTMLResponse:
    """Refused for load (service/load_shedding.py), outside the pages' own handlers."""
    context = {"status_code": 503, "detail": "", "csrf": False, "busy": True}
    response = render(request, "error.html", context, status_code=503)
    response.headers["Retry-After"] = str(retry_after_seconds)
    add_page_headers(response.headers)
    return response


async def _sign_in_required(request: Request, _error: Exception) -> Response:
    """To the sign-in form, which comes back here (`next=`) once signed in."""
    settings: Settings = request.app.state.settings
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    forget_session_cookie(response, settings)
    return response


async def _csrf_refused(request: Request, _error: Exception) -> Response:
    context = {"status_code": 403, "detail": "", "csrf": True, "busy": False}
    return render(request, "error.html", context, status_code=403)


async def _malformed(request: Request, _error: Exception) -> Response:
    # A malformed id or query names nothing that exists.
    return error_page(request, 404)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    response = error_page(request, error.status_code)
    if error.status_code == 405:
        response.headers["Allow"] = ", ".join(allowed_methods(request))
    return response


async def _mapped_error(request: Request, error: Exception) -> Response:
    mapped = domain_error_of(error)
    if mapped is None:
        logger.error("unhandled error on page %s", request.url.path, exc_info=error)
        return error_page(request, 500)
    detail = said(mapped, translator(page_locale(request)))
    return error_page(request, mapped.status_code, detail)


async def _unexpected_error(request: Request, _error: Exception) -> Response:
    # Starlette re-raises the error after this answer: the API's handler logs it then.
    response = error_page(request, 500)
    # Answered outside the pages' middleware: the headers are added here.
    add_page_headers(response.headers)
    return response


def register_page_error_handlers(pages: FastAPI) -> None:
    """Answer every error of a page with a page (or a redirect), never with JSON."""
    pages.add_exception_handler(SignInRequired, _sign_in_required)
    pages.add_exception_handler(CsrfRefused, _csrf_refused)
    pages.add_exception_handler(RequestValidationError, _malformed)
    pages.add_exception_handler(HTTPException, _http_error)
    for mapped in MAPPED_ERRORS:
        pages.add_exception_handler(mapped, _mapped_error)
    pages.add_exception_handler(Exception, _unexpected_error)
