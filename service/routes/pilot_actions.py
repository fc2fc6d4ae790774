"""The actions on a pilot: each is a workflow Update, answered with the pilot's new state.

Each takes an `Idempotency-Key`: the same key from the same user acts once, same answer.
"""

from typing import Annotated

from fastapi import APIRouter, Depends

from service.deps import CurrentUser, IdempotencyKey, SessionDep, SettingsDep, TemporalClientDep
from service.errors import error_responses
from service.schemas.common import IdPath
from service.schemas.pilots import (
    DecideBody,
    EvaluationBody,
    PilotPublic,
    PilotUpdate,
    ProgressBody,
    ReasonBody,
    RespondBody,
    ReviewBody,
    SelectPartnerBody,
)
from service.use_cases import pilot_actions
from service.use_cases.pilot_actions import PilotAction

router = APIRouter(
    prefix="/api/v1/pilots/{pilot_id}",
    tags=["pilot actions"],
    responses=error_responses(401, 403, 404, 409, 429, 503),
)


async def get_pilot_action(
    *,
    pilot_id: IdPath,
    session: SessionDep,
    client: TemporalClientDep,
    settings: SettingsDep,
    user: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> PilotAction:
    return PilotAction(session, client, settings, user, pilot_id, idempotency_key)


PilotActionDep = Annotated[PilotAction, Depends(get_pilot_action)]


@router.post("/review")
async def review(*, body: ReviewBody, on: PilotActionDep) -> PilotPublic:
    """Approve, request changes or reject a submitted pilot (admin)."""
    return await pilot_actions.review(on, body)


@router.post("/amend")
async def amend(*, body: PilotUpdate, on: PilotActionDep) -> PilotPublic:
    """Change the proposal after the admins asked for changes; it goes back to review (town)."""
    return await pilot_actions.amend(on, body)


@router.post("/respond")
async def respond(*, body: RespondBody, on: PilotActionDep) -> PilotPublic:
    """Answer an invitation: interested with a short offer, or not (invited company)."""
    return await pilot_actions.respond(on, body)


@router.post("/select-partner")
async def select_partner(*, body: SelectPartnerBody, on: PilotActionDep) -> PilotPublic:
    """Pick the partner among the interested companies (town)."""
    return await pilot_actions.select_partner(on, body)


@router.post("/progress")
async def progress(*, body: ProgressBody, on: PilotActionDep) -> PilotPublic:
    """Report KPI measurements and a note during the trial (town or partner)."""
    return await pilot_actions.progress(on, body)


@router.post("/end-trial")
async def end_trial(*, body: ReasonBody, on: PilotActionDep) -> PilotPublic:
    """End the trial now, with a reason (town, partner or admin)."""
    return await pilot_actions.end_trial(on, body)


@router.post("/evaluation")
async def evaluation(*, body: EvaluationBody, on: PilotActionDep) -> PilotPublic:
    """Submit the evaluation: KPI results, satisfaction, lessons, recommendation (town)."""
    return await pilot_actions.evaluation(on, body)


@router.post("/decide")
async def decide(*, body: DecideBody, on: PilotActionDep) -> PilotPublic:
    """Generalize, extend or stop after the evaluation (admin)."""
    return await pilot_actions.decide(on, body)


@router.post("/withdraw")
async def withdraw(*, body: ReasonBody, on: PilotActionDep) -> PilotPublic:
    """Withdraw the pilot before its trial runs (town)."""
    return await pilot_actions.withdraw(on, body)


@router.post("/cancel")
async def cancel(*, body: ReasonBody, on: PilotActionDep) -> PilotPublic:
    """Cancel the pilot at any open stage (admin)."""
    return await pilot_actions.cancel(on, body)
