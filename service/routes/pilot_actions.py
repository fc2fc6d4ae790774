"""The actions on a pilot: each is a workflow Update, answered with the pilot's new state.

Each takes an `Idempotency-Key`: the same key from the same user acts once, same answer.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from core.models import User
from core.settings import Settings
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
    Actor,
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


@dataclass(frozen=True)
class PilotAction:
    """One caller acting on one pilot: what every action route needs besides its body."""

    session: AsyncSession
    client: Client
    settings: Settings
    user: User
    pilot_id: str
    idempotency_key: str | None

    @property
    def actor(self) -> Actor:
        return actor_of(self.user)

    async def take(
        self,
        action: Action,
        update: Any,
        request_for: Callable[[PilotState], Any | Awaitable[Any]],
    ) -> PilotPublic:
        """Send the Update built by `request_for` from the pilot's current state."""
        return await act(
            self.session,
            self.client,
            self.settings,
            self.user,
            self.pilot_id,
            action,
            update,
            request_for,
            idempotency_key=self.idempotency_key,
        )

    async def send(self, action: Action, update: Any, request: Any) -> PilotPublic:
        """Send an Update whose request does not depend on the pilot's state."""
        return await self.take(action, update, lambda _state: request)


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
    request = ReviewRequest(on.actor, body.decision, body.comment)
    return await on.send(Action.REVIEW, PilotWorkflow.review, request)


@router.post("/amend")
async def amend(*, body: PilotUpdate, on: PilotActionDep) -> PilotPublic:
    """Change the proposal after the admins asked for changes; it goes back to review (town)."""

    async def request_for(state: PilotState) -> AmendRequest:
        if body.theme is not None:
            await check_theme(on.session, body.theme)
        return AmendRequest(on.actor, amended(state.proposal, body))

    return await on.take(Action.AMEND, PilotWorkflow.amend, request_for)


@router.post("/respond")
async def respond(*, body: RespondBody, on: PilotActionDep) -> PilotPublic:
    """Answer an invitation: interested with a short offer, or not (invited company)."""
    request = RespondRequest(on.actor, body.interested, body.message)
    return await on.send(Action.RESPOND, PilotWorkflow.respond, request)


@router.post("/select-partner")
async def select_partner(*, body: SelectPartnerBody, on: PilotActionDep) -> PilotPublic:
    """Pick the partner among the interested companies (town)."""
    request = SelectPartnerRequest(on.actor, body.company_id)
    return await on.send(Action.SELECT_PARTNER, PilotWorkflow.select_partner, request)


@router.post("/progress")
async def progress(*, body: ProgressBody, on: PilotActionDep) -> PilotPublic:
    """Report KPI measurements and a note during the trial (town or partner)."""
    measurements = [Measurement(m.kpi, m.value) for m in body.measurements]
    request = ProgressRequest(on.actor, measurements, body.note)
    return await on.send(Action.PROGRESS, PilotWorkflow.report_progress, request)


@router.post("/end-trial")
async def end_trial(*, body: ReasonBody, on: PilotActionDep) -> PilotPublic:
    """End the trial now, with a reason (town, partner or admin)."""
    request = ReasonRequest(on.actor, body.reason)
    return await on.send(Action.END_TRIAL, PilotWorkflow.end_trial, request)


@router.post("/evaluation")
async def evaluation(*, body: EvaluationBody, on: PilotActionDep) -> PilotPublic:
    """Submit the evaluation: KPI results, satisfaction, lessons, recommendation (town)."""
    results = [Measurement(m.kpi, m.value) for m in body.kpi_results]
    report = Evaluation(results, body.satisfaction, body.lessons, body.recommendation)
    request = EvaluationRequest(on.actor, report)
    return await on.send(Action.EVALUATION, PilotWorkflow.submit_evaluation, request)


@router.post("/decide")
async def decide(*, body: DecideBody, on: PilotActionDep) -> PilotPublic:
    """Generalize, extend or stop after the evaluation (admin)."""
    request = DecideRequest(on.actor, body.decision, body.extension_days, body.comment)
    return await on.send(Action.DECIDE, PilotWorkflow.decide, request)


@router.post("/withdraw")
async def withdraw(*, body: ReasonBody, on: PilotActionDep) -> PilotPublic:
    """Withdraw the pilot before its trial runs (town)."""
    request = ReasonRequest(on.actor, body.reason)
    return await on.send(Action.WITHDRAW, PilotWorkflow.withdraw, request)


@router.post("/cancel")
async def cancel(*, body: ReasonBody, on: PilotActionDep) -> PilotPublic:
    """Cancel the pilot at any open stage (admin)."""
    request = ReasonRequest(on.actor, body.reason)
    return await on.send(Action.CANCEL, PilotWorkflow.cancel, request)
