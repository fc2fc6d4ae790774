"""Request dependencies as `Annotated` aliases: settings, session, caller, Temporal client."""

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from core.db import transaction
from core.models import User
from core.settings import Settings
from service.auth import read_token, token_user_valid
from service.errors import Forbidden, Unauthorized
from service.temporal import TemporalConnector
from workflows.stages import Role

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <access_token>`")


def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    """The session factory the lifespan opened (for work outside the request's session)."""
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    return sessions


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session: committed if the route returns, rolled back if it raises."""
    async with transaction(get_sessionmaker(request)) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
# scope="function": the commit happens before the response is sent, so a failed commit
# becomes an error response instead of a success that was never stored.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_current_user(
    *,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The signed-in, active user the bearer token names; 401 otherwise."""
    if credentials is None:
        raise Unauthorized("not authenticated")
    claims = read_token(credentials.credentials, settings)
    return token_user_valid(claims, await session.get(User, claims.user_id), settings)


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(*roles: Role) -> Callable[..., Coroutine[Any, Any, User]]:
    """A dependency that lets only these roles through (403 for the others)."""
    allowed = frozenset(roles)

    async def dependency(*, user: CurrentUser) -> User:
        if user.role not in allowed:
            raise Forbidden(f"a {user.role} may not do this")
        return user

    return dependency


AdminUser = Annotated[User, Depends(require_role(Role.ADMIN))]
TownOfficer = Annotated[User, Depends(require_role(Role.TOWN_OFFICER))]
CompanyUser = Annotated[User, Depends(require_role(Role.COMPANY))]
AdminOrCompany = Annotated[User, Depends(require_role(Role.ADMIN, Role.COMPANY))]


def get_temporal(request: Request) -> TemporalConnector:
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
