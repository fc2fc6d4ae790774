"""The actions on a pilot: each is a workflow Update, answered with the pilot's new state.

Each carries an optional idempotency key: the same key from the same user acts once.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from core.models import User
from core.settings import Settings
from service.pilots import (
    act,
    actor_of,
    amended,
    check_may,
    check_theme,
    create_pilot,
    pilot_state,
    to_public,
    visible_pilot,
)
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


@dataclass(frozen=True)
class PilotAction:
    """One caller acting on one pilot: what every action needs besides its body."""

    session: AsyncSession
    client: Client
    settings: Settings
    user: User
    pilot_id: str
    idempotency_key: str | None = None

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


async def review(on: PilotAction, body: ReviewBody) -> PilotPublic:
    """Approve, request changes or reject a submitted pilot (admin)."""
    request = ReviewRequest(on.actor, body.decision, body.comment)
    return await on.send(Action.REVIEW, PilotWorkflow.review, request)


async def amend(on: PilotAction, body: PilotUpdate) -> PilotPublic:
    """Change the proposal after the admins asked for changes; it goes back to review (town)."""

    async def request_for(state: PilotState) -> AmendRequest:
        if body.theme is not None:
            await check_theme(on.session, body.theme)
        return AmendRequest(on.actor, amended(state.proposal, body))

    return await on.take(Action.AMEND, PilotWorkflow.amend, request_for)


async def respond(on: PilotAction, body: RespondBody) -> PilotPublic:
    """Answer an invitation: interested with a short offer, or not (invited company)."""
    request = RespondRequest(on.actor, body.interested, body.message)
    return await on.send(Action.RESPOND, PilotWorkflow.respond, request)


async def select_partner(on: PilotAction, body: SelectPartnerBody) -> PilotPublic:
    """Pick the partner among the interested companies (town)."""
    request = SelectPartnerRequest(on.actor, body.company_id)
    return await on.send(Action.SELECT_PARTNER, PilotWorkflow.select_partner, request)


async def progress(on: PilotAction, body: ProgressBody) -> PilotPublic:
    """Report KPI measurements and a note during the trial (town or partner)."""
    measurements = [Measurement(m.kpi, m.value) for m in body.measurements]
    request = ProgressRequest(on.actor, measurements, body.note)
    return await on.send(Action.PROGRESS, PilotWorkflow.report_progress, request)


async def end_trial(on: PilotAction, body: ReasonBody) -> PilotPublic:
    """End the trial now, with a reason (town, partner or admin)."""
    request = ReasonRequest(on.actor, body.reason)
    return await on.send(Action.END_TRIAL, PilotWorkflow.end_trial, request)


async def evaluation(on: PilotAction, body: EvaluationBody) -> PilotPublic:
    """Submit the evaluation: KPI results, satisfaction, lessons, recommendation (town)."""
    results = [Measurement(m.kpi, m.value) for m in body.kpi_results]
    report = Evaluation(results, body.satisfaction, body.lessons, body.recommendation)
    request = EvaluationRequest(on.actor, report)
    return await on.send(Action.EVALUATION, PilotWorkflow.submit_evaluation, request)


async def decide(on: PilotAction, body: DecideBody) -> PilotPublic:
    """Generalize, extend or stop after the evaluation (admin)."""
    request = DecideRequest(on.actor, body.decision, body.extension_days, body.comment)
    return await on.send(Action.DECIDE, PilotWorkflow.decide, request)


async def withdraw(on: PilotAction, body: ReasonBody) -> PilotPublic:
    """Withdraw the pilot before its trial runs (town)."""
    request = ReasonRequest(on.actor, body.reason)
    return await on.send(Action.WITHDRAW, PilotWorkflow.withdraw, request)


async def cancel(on: PilotAction, body: ReasonBody) -> PilotPublic:
    """Cancel the pilot at any open stage (admin)."""
    request = ReasonRequest(on.actor, body.reason)
    return await on.send(Action.CANCEL, PilotWorkflow.cancel, request)


async def replicate(on: PilotAction, sessions: async_sessionmaker[AsyncSession]) -> PilotPublic:
    """Start a new pilot in the officer's town from a generalized one, its partner invited first.

    The answer is the new pilot; no workflow decides this one, the parent has ended.
    """
    officer = on.user
    parent = await visible_pilot(on.session, officer, on.pilot_id)
    state = check_may(parent, officer, Action.REPLICATE)
    assert officer.town_id is not None
    proposal = state.proposal
    proposal.town_id = officer.town_id
    # The parent's start date has passed: the new trial starts once a partner is chosen.
    proposal.desired_start = max(proposal.desired_start, date.today())
    pilot = await create_pilot(
        sessions,
        on.client,
        on.settings,
        officer,
        proposal,
        idempotency_key=on.idempotency_key,
        parent_id=parent.id,
        preferred_company_id=state.partner_company_id,
    )
    return to_public(pilot_state(pilot), officer)
