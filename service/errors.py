"""Domain errors that carry their HTTP status, and the one place that turns errors into HTTP."""

import logging
import math
from collections.abc import Sequence
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException
from starlette.routing import compile_path
from temporalio.client import RPCTimeoutOrCancelledError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from workflows.messages import N_

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """An error the client caused or must know about; `status_code` says which.

    It keeps its English template (marked `N_` for the catalog) apart from its named values:
    `detail`, the API's text, fills the template in; a page says the template in the
    reader's language with the same values (service.pages.i18n.said).
    """

    status_code: ClassVar[int] = 500
    headers: dict[str, str] | None = None

    def __init__(
        self, template: str, /, *, retry_after: float | None = None, **values: object
    ) -> None:
        # Without values a text is taken as it is: a refusal from the workflow may hold a `%`.
        detail = template % values if values else template
        super().__init__(detail)
        self.detail = detail
        self.template = template
        self.values = values
        self.retry_after = retry_after
        if retry_after is not None:
            # Whole seconds, at least one: a client that waits that long may try again.
            seconds = str(max(1, math.ceil(retry_after)))
            self.headers = {**(self.headers or {}), "Retry-After": seconds}

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail}

    def response_headers(self) -> dict[str, str]:
        return dict(self.headers or {})


class Unauthorized(DomainError):
    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    """The object's state does not allow this now; `detail` says why."""

    status_code = 409


class Invalid(DomainError):
    """Input that is well-formed but wrong, shaped like FastAPI's own 422 body."""

    status_code = 422

    def __init__(
        self, template: str, /, *, loc: Sequence[str | int] = ("body",), **values: object
    ) -> None:
        super().__init__(template, retry_after=None, **values)  # no Retry-After on a 422
        self.loc = list(loc)

    def body(self) -> dict[str, Any]:
        return {"detail": [{"type": "value_error", "loc": self.loc, "msg": self.detail}]}


class InvalidLines(Invalid):
    """Several problems at once, each at its own location, e.g. `["body", <line>, <column>]`
    for the lines of an imported file: one 422 lists them all.
    """

    def __init__(self, errors: Sequence[tuple[Sequence[str | int], str, str]]) -> None:
        super().__init__(N_("%(count)s problems"), count=len(errors))
        self.errors = [{"type": kind, "loc": list(loc), "msg": msg} for loc, kind, msg in errors]

    def body(self) -> dict[str, Any]:
        return {"detail": self.errors}


class ContentTooLarge(DomainError):
    """A body or an uploaded file over its size limit."""

    status_code = 413


class TooManyRequests(DomainError):
    """Not this often: `Retry-After` says when to try again."""

    status_code = 429


class Unavailable(DomainError):
    status_code = 503


class ErrorMessage(BaseModel):
    """The body of every error but 422: `{"detail": "why"}`."""

    detail: str


_DESCRIPTIONS = {
    401: "Missing, invalid or expired bearer token",
    403: "The caller's role may not do this",
    404: "No such object, or not visible to the caller",
    409: "The object's current state does not allow this; `detail` says why",
    413: "The body or the file is larger than its limit; `detail` says which",
    429: "Too many of these for now; `Retry-After` says when to try again",
    503: "A backing service (database, Temporal) cannot be reached, or no worker took the "
    "action in time; `Retry-After` says when to retry (with the same `Idempotency-Key`)",
}


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for these error statuses (422 is FastAPI's own)."""
    return {
        code: {"model": ErrorMessage, "description": _DESCRIPTIONS[code]} for code in status_codes
    }


# How the workflow's update validators say no: ApplicationError.type → our error.
_REFUSALS: dict[str, type[DomainError]] = {
    "role": Forbidden,
    "hidden": NotFound,
    "stage": Conflict,
    "invalid": Invalid,
    "rate": TooManyRequests,
}


def from_temporal(error: Exception) -> DomainError | None:
    """The domain error a Temporal client error stands for, or None if it is a real failure."""
    if isinstance(error, WorkflowUpdateFailedError):
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.type == "rate":
            wait = cause.details[0] if cause.details else None
            return TooManyRequests(cause.message, retry_after=float(wait) if wait else None)
        if isinstance(cause, ApplicationError) and cause.type in _REFUSALS:
            return _REFUSALS[cause.type](cause.message)
        return None
    if isinstance(error, RPCError):
        if error.status == RPCStatusCode.NOT_FOUND:
            return NotFound(N_("no such pilot"))
        if error.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            return Unavailable(N_("the Temporal server cannot be reached"))
        return None
    if isinstance(error, RPCTimeoutOrCancelledError):
        return Unavailable(N_("the Temporal server did not answer in time"))
    return None


# Everything that `domain_error_of` may turn into an answer with a status of its own.
MAPPED_ERRORS: tuple[type[Exception], ...] = (
    DomainError,
    WorkflowUpdateFailedError,
    RPCError,
    RPCTimeoutOrCancelledError,
    # The database's: a lost race (IntegrityError), out of reach (OperationalError), a lost
    # connection; any other is a bug.
    DBAPIError,
    PoolTimeoutError,
    OSError,
)


def domain_error_of(error: Exception) -> DomainError | None:
    """The domain error any exception stands for, or None if it is a real failure (a bug).

    The one mapping of the API's JSON answers and of the pages' error pages alike.
    """
    if isinstance(error, DomainError):
        return error
    if isinstance(error, IntegrityError):
        # A unique constraint lost a race with a concurrent request that checked first.
        logger.info("integrity error mapped to 409: %s", error)
        return Conflict(N_("this conflicts with existing data"))
    if isinstance(error, OperationalError | PoolTimeoutError) or (
        # A connection the server dropped (a restart): the pool has replaced it by now.
        isinstance(error, DBAPIError) and error.connection_invalidated
    ):
        logger.warning("database unavailable: %s", error)
        return Unavailable(N_("the database cannot be reached"))
    if isinstance(error, OSError):
        # Drivers report a refused or timed-out connection as a bare OSError (asyncpg does).
        logger.warning("backing service unreachable: %r", error)
        return Unavailable(N_("a backing service cannot be reached"))
    return from_temporal(error)


def _response(error: DomainError) -> JSONResponse:
    return JSONResponse(
        error.body(), status_code=error.status_code, headers=error.response_headers()
    )


async def _mapped_error(request: Request, error: Exception) -> JSONResponse:
    mapped = domain_error_of(error)
    if mapped is None:
        return await _unexpected_error(request, error)
    return _response(mapped)


def _without_surrogates(value: Any) -> Any:
    """A copy that UTF-8 can encode: JSON escapes like \\ud800 decode to lone surrogates."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list):
        return [_without_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {key: _without_surrogates(item) for key, item in value.items()}
    return value


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    # FastAPI's own 422 body, made encodable: it echoes the input, which may be invalid text.
    assert isinstance(error, RequestValidationError)
    if error.errors() and all(e["loc"][:1] == ("path",) for e in error.errors()):
        # An id of a shape we never issue names nothing: 404, like any unknown id.
        return _response(NotFound(N_("no such object")))
    detail = _without_surrogates(jsonable_encoder(error.errors()))
    return JSONResponse({"detail": detail}, status_code=422)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code == 400:
        # FastAPI's answer to a body it cannot decode; API.md promises 422 for a bad body.
        return _response(Invalid(str(error.detail)))
    if error.status_code == 405:
        # Starlette names only the first matching route's methods; a path has several routes.
        headers = dict(error.headers or {}) | {"Allow": ", ".join(allowed_methods(request))}
        error = HTTPException(405, error.detail, headers=headers)
    return await http_exception_handler(request, error)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the request's app takes at its path."""
    path = request.scope["path"]
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        if route.path and route.methods and compile_path(route.path)[0].match(path):
            methods |= route.methods
    return sorted(methods)


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return JSONResponse({"detail": "internal server error"}, status_code=500)


def register_error_handlers(app: FastAPI) -> None:
    """Install the one mapping from errors to HTTP responses."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    for mapped in MAPPED_ERRORS:
        app.add_exception_handler(mapped, _mapped_error)
    # Only real bugs reach this one; after answering, Starlette re-raises it to the server.
    app.add_exception_handler(Exception, _unexpected_error)
