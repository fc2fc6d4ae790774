"""The actions on a pilot: each is a workflow Update, answered with the pilot's new state."""

from typing import Any

from fastapi import APIRouter

from core.models import User
from service.deps import CurrentUser, SessionDep, TemporalClientDep
from service.errors import error_responses
from service.pilots import (
    actor_of,
    amended,
    check_may,
    check_theme,
    run_update,
    to_public,
    visible_pilot,
)
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
from workflows.contracts import (
    AmendRequest,
    DecideRequest,
    Evaluation,
    EvaluationRequest,
    Measurement,
    ProgressRequest,
    ReasonRequest,
    RespondRequest,
    ReviewRequest,
    SelectPartnerRequest,
)
from workflows.pilot import PilotWorkflow
from workflows.stages import Action

router = APIRouter(
    prefix="/api/v1/pilots/{pilot_id}",
    tags=["pilot actions"],
    responses=error_responses(401, 403, 404, 409, 503),
)


async def _act(
    session: SessionDep,
    client: TemporalClientDep,
    user: User,
    pilot_id: str,
    action: Action,
    update: Any,
    request: Any,
) -> PilotPublic:
    check_may(await visible_pilot(session, user, pilot_id), user, action)
    return to_public(await run_update(client, pilot_id, update, request), user)


@router.post("/review")
async def review(
    *,
    pilot_id: IdPath,
    body: ReviewBody,
    session: SessionDep,
    client: TemporalClientDep,
    user: CurrentUser,
) -> PilotPublic:
    """Approve, request changes or reject a submitted pilot (admin)."""
    request = ReviewRequest(actor_of(user), body.decision, body.comment)
    return await _act(session, client, user, pilot_id, Action.REVIEW, PilotWorkflow.review, request)


@router.post("/amend")
async def amend(
    *,
    pilot_id: IdPath,
    body: PilotUpdate,
    session: SessionDep,
    client: TemporalClientDep,
    user: CurrentUser,
) -> PilotPublic:
    """Change the proposal after the admins asked for changes; it goes back to review (town)."""
    state = check_may(await visible_pilot(session, user, pilot_id), user, Action.AMEND)
    if body.theme is not None:
        await check_theme(session, body.theme)
    request = AmendRequest(actor_of(user), amended(state.proposal, body))
    return to_public(await run_update(client, pilot_id, PilotWorkflow.amend, request), user)


@router.post("/respond")
async def respond(
    *,
    pilot_id: IdPath,
    body: RespondBody,
    session: SessionDep,
    client: TemporalClientDep,
    user: CurrentUser,
) -> PilotPublic:
    """Answer an invitation: interested with a short offer, or not (invited company)."""
    request = RespondRequest(actor_of(user), body.interested, body.message)
    return await _act(
        session, client, user, pilot_id, Action.RESPOND, PilotWorkflow.respond, request
    )


@router.post("/select-partner")
async def select_partner(
    *,
    pilot_id: IdPath,
    body: SelectPartnerBody,
    session: SessionDep,
    client: TemporalClientDep,
    user: CurrentUser,
) -> PilotPublic:
    """Pick the partner among the interested companies (town)."""
    request = SelectPartnerRequest(actor_of(user), body.company_id)
    return await _act(
        session,
        client,
        user,
        pilot_id,
        Action.SELECT_PARTNER,
        PilotWorkflow.select_partner,
        request,
    )


@router.post("/progress")
async def progress(
    *,
    pilot_id: IdPath,
    body: ProgressBody,
    session: SessionDep,
    client: TemporalClientDep,
    user: CurrentUser,
) -> PilotPublic:
    """Report KPI measurements and a note during the trial (town or partner)."""
    measurements = [Measurement(m.kpi, m.value) for m in body.measurements]
    request = ProgressRequest(actor_of(user), measurements, body.note)
    return await _act(
        session, client, user, pilot_id, Action.PROGRESS, PilotWorkflow.report_progress, request
    )


@router.post("/end-trial")
async def end_trial(
    *,
    pilot_id: IdPath,
    body: ReasonBody,
    session: SessionDep,
    client: TemporalClientDep,
    user: CurrentUser,
) -> PilotPublic:
    """End the trial now, with a reason (town, partner or admin)."""
    request = ReasonRequest(actor_of(user), body.reason)
    return await _act(
        session, client, user, pilot_id, Action.END_TRIAL, PilotWorkflow.end_trial, request
    )


@router.post("/evaluation")
async def evaluation(
    *,
    pilot_id: IdPath,
    body: EvaluationBody,
    session: SessionDep,
    client: TemporalClientDep,
    user: CurrentUser,
) -> PilotPublic:
    """Submit the evaluation: KPI results, satisfaction, lessons, recommendation (town)."""
    results = [Measurement(m.kpi, m.value) for m in body.kpi_results]
    report = Evaluation(results, body.satisfaction, body.lessons, body.recommendation)
    request = EvaluationRequest(actor_of(user), report)
    return await _act(
        session,
        client,
        user,
        pilot_id,
        Action.EVALUATION,
        PilotWorkflow.submit_evaluation,
        request,
    )


@router.post("/decide")
async def decide(
    *,
    pilot_id: IdPath,
    body: DecideBody,
    session: SessionDep,
    client: TemporalClientDep,
    user: CurrentUser,
) -> PilotPublic:
    """Generalize, extend or stop after the evaluation (admin)."""
    request = DecideRequest(actor_of(user), body.decision, body.extension_days, body.comment)
    return await _act(session, client, user, pilot_id, Action.DECIDE, PilotWorkflow.decide, request)


@router.post("/withdraw")
async def withdraw(
    *,
    pilot_id: IdPath,
    body: ReasonBody,
    session: SessionDep,
    client: TemporalClientDep,
    user: CurrentUser,
) -> PilotPublic:
    """Withdraw the pilot before its trial runs (town)."""
    request = ReasonRequest(actor_of(user), body.reason)
    return await _act(
        session, client, user, pilot_id, Action.WITHDRAW, PilotWorkflow.withdraw, request
    )


@router.post("/cancel")
async def cancel(
    *,
    pilot_id: IdPath,
    body: ReasonBody,
    session: SessionDep,
    client: TemporalClientDep,
    user: CurrentUser,
) -> PilotPublic:
    """Cancel the pilot at any open stage (admin)."""
    request = ReasonRequest(actor_of(user), body.reason)
    return await _act(session, client, user, pilot_id, Action.CANCEL, PilotWorkflow.cancel, request)
