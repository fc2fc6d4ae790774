"""Request dependencies as `Annotated` aliases: settings, session, caller, Temporal client."""

from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from core.db import autocommitting, transaction
from core.models import User
from core.pilot_repository import PilotFilters
from core.settings import Settings
from service.auth import SignedIn, signed_in
from service.errors import Forbidden, Unauthorized
from service.schemas.common import ThemeCode
from service.temporal import TemporalConnector
from service.use_cases.accounts import AccountGuards
from workflows.messages import N_
from workflows.stages import Role, Stage

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <access_token>`")


# The dependencies below only look something up, so they are `async def`: FastAPI runs a
# plain `def` dependency in its thread pool, a thread hop each per request (7 % of a read's
# CPU for two of them, docs/PERFORMANCE.md).


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def sessionmaker_of(request: Request) -> async_sessionmaker[AsyncSession]:
    """The session factory the lifespan opened (for work outside the request's session)."""
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    return sessions


async def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    """The session factory, as a dependency."""
    return sessionmaker_of(request)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session: committed if the route returns, rolled back if it raises."""
    async with transaction(sessionmaker_of(request)) as session:
        yield session


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The session of a route that only reads: nothing to commit (core.db.autocommitting)."""
    async with autocommitting(sessionmaker_of(request)) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
# scope="function": the commit happens before the response is sent, so a failed commit
# becomes an error response instead of a success that was never stored.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]


async def get_signed_in(
    *,
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> SignedIn:
    """The live session the bearer token names, with its active user; 401 otherwise.

    Read on a connection of its own, given back at once, so the request holds none until its
    route asks for one (a route may hash a password first). The user comes back detached: a
    route that changes it loads it again in the request's session.
    """
    token = _token_of(credentials)
    async with autocommitting(sessionmaker_of(request)) as session:
        caller = await signed_in(session, token, settings)
    request.state.user = caller.user
    return caller


async def get_reader(
    *,
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session: ReadSessionDep,
) -> User:
    """The caller of a route that only reads: signed in through the request's own session.

    Such a route holds a connection anyway, so the token's query shares it instead of
    checking out (and committing) one of its own first.
    """
    caller = await signed_in(session, _token_of(credentials), settings)
    request.state.user = caller.user
    return caller.user


def _token_of(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None:
        raise Unauthorized(N_("not authenticated"))
    return credentials.credentials


SignedInDep = Annotated[SignedIn, Depends(get_signed_in)]


async def get_current_user(*, caller: SignedInDep) -> User:
    """The signed-in, active user the bearer token names; 401 otherwise."""
    return caller.user


CurrentUser = Annotated[User, Depends(get_current_user)]
# For routes that read only and take a ReadSessionDep: the same caller, one transaction fewer.
Reader = Annotated[User, Depends(get_reader)]


def require_role(
    *roles: Role, user_of: Callable[..., Awaitable[User]] = get_current_user
) -> Callable[..., Coroutine[Any, Any, User]]:
    """A dependency that lets only these roles through (403 for the others).

    The one role check of the API and the pages: `user_of` says how the caller signs in
    (a bearer token here, the session cookie for a page).
    """
    allowed = frozenset(roles)

    async def dependency(*, user: Annotated[User, Depends(user_of)]) -> User:
        if user.role not in allowed:
            raise Forbidden(N_("a %(role)s may not do this"), role=user.role)
        return user

    return dependency


AdminUser = Annotated[User, Depends(require_role(Role.ADMIN))]
TownOfficer = Annotated[User, Depends(require_role(Role.TOWN_OFFICER))]
CompanyUser = Annotated[User, Depends(require_role(Role.COMPANY))]
AdminOrCompany = Annotated[User, Depends(require_role(Role.ADMIN, Role.COMPANY))]
AdminOrOfficer = Annotated[User, Depends(require_role(Role.ADMIN, Role.TOWN_OFFICER))]


async def get_temporal(request: Request) -> TemporalConnector:
    """The app's Temporal connector, connected or not."""
    connector: TemporalConnector = request.app.state.temporal
    return connector


async def get_temporal_client(
    *, connector: Annotated[TemporalConnector, Depends(get_temporal)]
) -> Client:
    """The connected Temporal client; 503 if the server cannot be reached."""
    return await connector.get()


TemporalConnectorDep = Annotated[TemporalConnector, Depends(get_temporal)]
TemporalClientDep = Annotated[Client, Depends(get_temporal_client)]
SessionmakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)]


async def get_account_guards(request: Request) -> AccountGuards:
    """The app's sign-in attempt counters and password hashing pool."""
    guards: AccountGuards = request.app.state.account_guards
    return guards


AccountGuardsDep = Annotated[AccountGuards, Depends(get_account_guards)]


async def client_address(request: Request) -> str:
    """The peer's address, as the server (and its trusted proxy settings) sees it."""
    return request.client.host if request.client else "unknown"


ClientAddress = Annotated[str, Depends(client_address)]


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Repeat a request with the same key to get the same pilot, not a second one",
    ),
]


async def pilot_filters(
    *,
    stage: Stage | None = None,
    theme: ThemeCode | None = None,
    town_id: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Words in title or summary")] = None,
) -> PilotFilters:
    """The pilot list's filters, each optional; the list and its exports take exactly these."""
    return PilotFilters(stage=stage, theme=theme, town_id=town_id, q=q)


ListFilters = Annotated[PilotFilters, Depends(pilot_filters)]
