"""Pilots: submit, list, read and replicate. Reads come from the read model."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from service.deps import (
    CurrentUser,
    IdempotencyKey,
    ListFilters,
    Reader,
    ReadSessionDep,
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

JSON = "application/json"
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


# The two reads answer bytes already serialised from the declared models (service.pilot_json).
@router.get("", response_model=PilotPage, responses=error_responses())
async def list_pilots(
    *,
    session: ReadSessionDep,
    user: Reader,
    filters: ListFilters,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> Response:
    """The pilots the caller may see, newest first, a page at a time."""
    page = await pilots.list_pilots_json(session, user, filters, limit=limit, cursor=cursor)
    return Response(page, media_type=JSON)


@router.get("/{pilot_id}", response_model=PilotPublic, responses=error_responses(404))
async def read_pilot(*, pilot_id: IdPath, session: ReadSessionDep, user: Reader) -> Response:
    """One pilot, with what the caller may do with it now."""
    return Response(await pilots.read_pilot_json(session, user, pilot_id), media_type=JSON)


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
