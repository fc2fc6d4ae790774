"""The actions on a pilot: each is a workflow Update, answered with the pilot's new state.

Each takes an `Idempotency-Key`: the same key from the same user acts once, same answer.
"""

from typing import Any

from fastapi import APIRouter

from core.models import User
from service.deps import CurrentUser, SessionDep, SettingsDep, TemporalClientDep
from service.errors import error_responses
from service.pilots import act, actor_of, amended, check_theme
from service.routes.pilots import IdempotencyKey
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
    PilotState,
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
    responses=error_responses(401, 403, 404, 409, 429, 503),
)


async def _act(
    session: SessionDep,
    client: TemporalClientDep,
    settings: SettingsDep,
    user: User,
    pilot_id: str,
    action: Action,
    update: Any,
    request: Any,
    idempotency_key: str | None,
) -> PilotPublic:
    return await act(
        session,
        client,
        settings,
        user,
        pilot_id,
        action,
        update,
        lambda _state: request,
        idempotency_key=idempotency_key,
    )


@router.post("/review")
async def review(
    *,
    pilot_id: IdPath,
    body: ReviewBody,
    session: SessionDep,
    client: TemporalClientDep,
    settings: SettingsDep,
    user: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> PilotPublic:
    """Approve, request changes or reject a submitted pilot (admin)."""
    request = ReviewRequest(actor_of(user), body.decision, body.comment)
    return await _act(
        session,
        client,
        settings,
        user,
        pilot_id,
        Action.REVIEW,
        PilotWorkflow.review,
        request,
        idempotency_key,
    )


@router.post("/amend")
async def amend(
    *,
    pilot_id: IdPath,
    body: PilotUpdate,
    session: SessionDep,
    client: TemporalClientDep,
    settings: SettingsDep,
    user: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> PilotPublic:
    """Change the proposal after the admins asked for changes; it goes back to review (town)."""

    async def request_for(state: PilotState) -> AmendRequest:
        if body.theme is not None:
            await check_theme(session, body.theme)
        return AmendRequest(actor_of(user), amended(state.proposal, body))

    return await act(
        session,
        client,
        settings,
        user,
        pilot_id,
        Action.AMEND,
        PilotWorkflow.amend,
        request_for,
        idempotency_key=idempotency_key,
    )


@router.post("/respond")
async def respond(
    *,
    pilot_id: IdPath,
    body: RespondBody,
    session: SessionDep,
    client: TemporalClientDep,
    settings: SettingsDep,
    user: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> PilotPublic:
    """Answer an invitation: interested with a short offer, or not (invited company)."""
    request = RespondRequest(actor_of(user), body.interested, body.message)
    return await _act(
        session,
        client,
        settings,
        user,
        pilot_id,
        Action.RESPOND,
        PilotWorkflow.respond,
        request,
        idempotency_key,
    )


@router.post("/select-partner")
async def select_partner(
    *,
    pilot_id: IdPath,
    body: SelectPartnerBody,
    session: SessionDep,
    client: TemporalClientDep,
    settings: SettingsDep,
    user: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> PilotPublic:
    """Pick the partner among the interested companies (town)."""
    request = SelectPartnerRequest(actor_of(user), body.company_id)
    return await _act(
        session,
        client,
        settings,
        user,
        pilot_id,
        Action.SELECT_PARTNER,
        PilotWorkflow.select_partner,
        request,
        idempotency_key,
    )


@router.post("/progress")
async def progress(
    *,
    pilot_id: IdPath,
    body: ProgressBody,
    session: SessionDep,
    client: TemporalClientDep,
    settings: SettingsDep,
    user: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> PilotPublic:
    """Report KPI measurements and a note during the trial (town or partner)."""
    measurements = [Measurement(m.kpi, m.value) for m in body.measurements]
    request = ProgressRequest(actor_of(user), measurements, body.note)
    return await _act(
        session,
        client,
        settings,
        user,
        pilot_id,
        Action.PROGRESS,
        PilotWorkflow.report_progress,
        request,
        idempotency_key,
    )


@router.post("/end-trial")
async def end_trial(
    *,
    pilot_id: IdPath,
    body: ReasonBody,
    session: SessionDep,
    client: TemporalClientDep,
    settings: SettingsDep,
    user: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> PilotPublic:
    """End the trial now, with a reason (town, partner or admin)."""
    request = ReasonRequest(actor_of(user), body.reason)
    return await _act(
        session,
        client,
        settings,
        user,
        pilot_id,
        Action.END_TRIAL,
        PilotWorkflow.end_trial,
        request,
        idempotency_key,
    )


@router.post("/evaluation")
async def evaluation(
    *,
    pilot_id: IdPath,
    body: EvaluationBody,
    session: SessionDep,
    client: TemporalClientDep,
    settings: SettingsDep,
    user: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> PilotPublic:
    """Submit the evaluation: KPI results, satisfaction, lessons, recommendation (town)."""
    results = [Measurement(m.kpi, m.value) for m in body.kpi_results]
    report = Evaluation(results, body.satisfaction, body.lessons, body.recommendation)
    request = EvaluationRequest(actor_of(user), report)
    return await _act(
        session,
        client,
        settings,
        user,
        pilot_id,
        Action.EVALUATION,
        PilotWorkflow.submit_evaluation,
        request,
        idempotency_key,
    )


@router.post("/decide")
async def decide(
    *,
    pilot_id: IdPath,
    body: DecideBody,
    session: SessionDep,
    client: TemporalClientDep,
    settings: SettingsDep,
    user: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> PilotPublic:
    """Generalize, extend or stop after the evaluation (admin)."""
    request = DecideRequest(actor_of(user), body.decision, body.extension_days, body.comment)
    return await _act(
        session,
        client,
        settings,
        user,
        pilot_id,
        Action.DECIDE,
        PilotWorkflow.decide,
        request,
        idempotency_key,
    )


@router.post("/withdraw")
async def withdraw(
    *,
    pilot_id: IdPath,
    body: ReasonBody,
    session: SessionDep,
    client: TemporalClientDep,
    settings: SettingsDep,
    user: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> PilotPublic:
    """Withdraw the pilot before its trial runs (town)."""
    request = ReasonRequest(actor_of(user), body.reason)
    return await _act(
        session,
        client,
        settings,
        user,
        pilot_id,
        Action.WITHDRAW,
        PilotWorkflow.withdraw,
        request,
        idempotency_key,
    )


@router.post("/cancel")
async def cancel(
    *,
    pilot_id: IdPath,
    body: ReasonBody,
    session: SessionDep,
    client: TemporalClientDep,
    settings: SettingsDep,
    user: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> PilotPublic:
    """Cancel the pilot at any open stage (admin)."""
    request = ReasonRequest(actor_of(user), body.reason)
    return await _act(
        session,
        client,
        settings,
        user,
        pilot_id,
        Action.CANCEL,
        PilotWorkflow.cancel,
        request,
        idempotency_key,
    )
