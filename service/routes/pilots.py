"""Pilots: submit, list, read and replicate. Reads come from the read model."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from service.deps import (
    CurrentUser,
    IdempotencyKey,
    ListFilters,
    Reader,
    SessionDep,
    SessionmakerDep,
    SettingsDep,
    TemporalClientDep,
    TownOfficer,
)
from service.errors import error_responses
from service.schemas.common import IdPath
from service.schemas.pilots import PilotCreate, PilotPage, PilotPublic
from service.use_cases import pilot_actions, pilots

router = APIRouter(prefix="/api/v1/pilots", tags=["pilots"], responses=error_responses(401))


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 503))
async def submit_pilot(
    *,
    body: PilotCreate,
    sessions: SessionmakerDep,
    settings: SettingsDep,
    client: TemporalClientDep,
    officer: TownOfficer,
    idempotency_key: IdempotencyKey = None,
) -> PilotPublic:
    """Submit a pilot for the officer's town: stage `submitted`."""
    return await pilots.submit_pilot(sessions, client, settings, officer, body, idempotency_key)


@router.get("", responses=error_responses())
async def list_pilots(
    *,
    session: SessionDep,
    user: Reader,
    filters: ListFilters,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> PilotPage:
    """The pilots the caller may see, newest first, a page at a time."""
    return await pilots.list_pilots(session, user, filters, limit=limit, cursor=cursor)


@router.get("/{pilot_id}", responses=error_responses(404))
async def read_pilot(*, pilot_id: IdPath, session: SessionDep, user: Reader) -> PilotPublic:
    """One pilot, with what the caller may do with it now."""
    return await pilots.read_pilot(session, user, pilot_id)


@router.post(
    "/{pilot_id}/replicate",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403, 404, 409, 503),
)
async def replicate_pilot(
    *,
    pilot_id: IdPath,
    session: SessionDep,
    sessions: SessionmakerDep,
    settings: SettingsDep,
    client: TemporalClientDep,
    officer: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> PilotPublic:
    """Start a new pilot in the officer's town from a generalized one, its partner invited first."""
    on = pilot_actions.PilotAction(session, client, settings, officer, pilot_id, idempotency_key)
    return await pilot_actions.replicate(on, sessions)
