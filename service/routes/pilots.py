"""Pilots: submit, list, read and replicate. Reads come from the read model."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, status

from core.pilot_repository import BadCursor, PilotFilters, PilotRepository
from service.deps import CurrentUser, SessionDep, SettingsDep, TemporalClientDep, TownOfficer
from service.errors import Invalid, error_responses
from service.pilots import (
    check_may,
    create_pilot,
    pilot_state,
    proposal_from,
    to_public,
    visible_pilot,
)
from service.schemas.common import IdPath, ThemeCode
from service.schemas.pilots import PilotCreate, PilotPage, PilotPublic
from workflows.stages import Action, Stage

router = APIRouter(prefix="/api/v1/pilots", tags=["pilots"], responses=error_responses(401))

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Repeat a request with the same key to get the same pilot, not a second one",
    ),
]


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 503))
async def submit_pilot(
    *,
    body: PilotCreate,
    session: SessionDep,
    settings: SettingsDep,
    client: TemporalClientDep,
    officer: TownOfficer,
    idempotency_key: IdempotencyKey = None,
) -> PilotPublic:
    """Submit a pilot for the officer's town: stage `submitted`."""
    assert officer.town_id is not None
    proposal = proposal_from(body, officer.town_id)
    pilot = await create_pilot(
        session, client, settings, officer, proposal, idempotency_key=idempotency_key
    )
    return to_public(pilot_state(pilot), officer)


@router.get("", responses=error_responses())
async def list_pilots(
    *,
    session: SessionDep,
    user: CurrentUser,
    stage: Stage | None = None,
    theme: ThemeCode | None = None,
    town_id: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Words in title or summary")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> PilotPage:
    """The pilots the caller may see, newest first, a page at a time."""
    filters = PilotFilters(stage=stage, theme=theme, town_id=town_id, q=q)
    try:
        rows, next_cursor = await PilotRepository(session).page(
            user, filters, limit=limit, cursor=cursor
        )
    except BadCursor as error:
        raise Invalid(str(error), loc=("query", "cursor")) from error
    return PilotPage(items=[to_public(pilot_state(p), user) for p in rows], next_cursor=next_cursor)


@router.get("/{pilot_id}", responses=error_responses(404))
async def read_pilot(*, pilot_id: IdPath, session: SessionDep, user: CurrentUser) -> PilotPublic:
    """One pilot, with what the caller may do with it now."""
    return to_public(pilot_state(await visible_pilot(session, user, pilot_id)), user)


@router.post(
    "/{pilot_id}/replicate",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403, 404, 409, 503),
)
async def replicate_pilot(
    *,
    pilot_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    client: TemporalClientDep,
    officer: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> PilotPublic:
    """Start a new pilot in the officer's town from a generalized one, its partner invited first."""
    parent = await visible_pilot(session, officer, pilot_id)
    state = check_may(parent, officer, Action.REPLICATE)
    assert officer.town_id is not None
    proposal = state.proposal
    proposal.town_id = officer.town_id
    # The parent's start date has passed: the new trial starts once a partner is chosen.
    proposal.desired_start = max(proposal.desired_start, date.today())
    pilot = await create_pilot(
        session,
        client,
        settings,
        officer,
        proposal,
        idempotency_key=idempotency_key,
        parent_id=parent.id,
        preferred_company_id=state.partner_company_id,
    )
    return to_public(pilot_state(pilot), officer)
