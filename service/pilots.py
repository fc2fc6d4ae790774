"""Starting pilots and acting on them through their workflows; the read model answers reads."""

import asyncio
import contextlib
import dataclasses
import inspect
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, RPCTimeoutOrCancelledError
from temporalio.exceptions import WorkflowAlreadyStartedError

from core.db import transaction
from core.disclosure import PilotView, Viewer, view_pilot
from core.models import Pilot, Theme, User
from core.pilot_repository import PilotRepository, StoredState
from core.pilot_state import apply_state, state_from_json
from core.settings import Settings
from service.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from service.schemas.pilots import PilotCreate, PilotPublic, PilotUpdate
from workflows import search_attributes
from workflows.contracts import (
    ActionResult,
    Actor,
    Kpi,
    LifecycleRules,
    PilotInput,
    PilotState,
    Proposal,
    keyed_update_id,
    workflow_id,
)
from workflows.messages import N_
from workflows.pilot import PilotWorkflow
from workflows.stages import END_STAGES, Action, RefusalKind, Stage, allowed_actions, refusal

# Pilot ids made from an Idempotency-Key: the same key always names the same workflow.
IDEMPOTENCY_NAMESPACE = uuid.UUID("5b0e7c52-3a8e-4c1e-9d55-6f1f1c0c2a10")
# When no worker took an action in time: a worker that restarts is usually back by then.
ACTION_RETRY_AFTER_SECONDS = 5


def actor_of(user: User) -> Actor:
    """The workflow's view of a user: who acts, for the stage machine and the audit trail."""
    return Actor(role=user.role, user_id=user.id, town_id=user.town_id, company_id=user.company_id)


def lifecycle_rules(settings: Settings) -> LifecycleRules:
    """The settings' deadlines, periods and counts, fixed into each new pilot.

    Every rule has a setting of the same name, so a new rule cannot be forgotten here.
    """
    return LifecycleRules(
        **{rule.name: getattr(settings, rule.name) for rule in dataclasses.fields(LifecycleRules)}
    )


async def start_pilot(
    client: Client,
    settings: Settings,
    proposal: Proposal,
    actor: Actor,
    *,
    parent_id: str | None = None,
    preferred_company_id: str | None = None,
    pilot_id: str | None = None,
) -> str:
    """Start a pilot's workflow, indexed by stage, theme and town; returns the pilot id."""
    pilot_id = pilot_id or uuid.uuid4().hex
    await client.start_workflow(
        PilotWorkflow.run,
        PilotInput(
            pilot_id=pilot_id,
            proposal=proposal,
            submitted_by=actor,
            rules=lifecycle_rules(settings),
            parent_id=parent_id,
            preferred_company_id=preferred_company_id,
        ),
        id=workflow_id(pilot_id),
        task_queue=settings.temporal_task_queue,
        search_attributes=search_attributes.initial(
            Stage.SUBMITTED, proposal.theme, proposal.town_id
        ),
    )
    return pilot_id


def proposal_from(body: PilotCreate, town_id: str) -> Proposal:
    return Proposal(
        town_id=town_id,
        title=body.title,
        summary=body.summary,
        theme=body.theme,
        needs=list(body.needs),
        budget_eur=body.budget_eur,
        desired_start=body.desired_start,
        duration_days=body.duration_days,
        kpis=[Kpi(k.name, k.unit, k.baseline, k.target) for k in body.kpis],
    )


def amended(proposal: Proposal, changes: PilotUpdate) -> Proposal:
    """The proposal with the fields the officer sent replaced."""
    fields = {name: getattr(changes, name) for name in changes.model_fields_set}
    if changes.kpis is not None:
        fields["kpis"] = [Kpi(k.name, k.unit, k.baseline, k.target) for k in changes.kpis]
    if changes.needs is not None:
        fields["needs"] = list(changes.needs)
    return Proposal(**{**proposal.__dict__, **fields})


async def check_theme(session: AsyncSession, theme: str) -> None:
    if await session.get(Theme, theme) is None:
        raise Invalid(N_("no theme '%(theme)s'"), loc=("body", "theme"), theme=theme)


async def create_pilot(
    sessions: async_sessionmaker[AsyncSession],
    client: Client,
    settings: Settings,
    user: User,
    proposal: Proposal,
    *,
    idempotency_key: str | None = None,
    parent_id: str | None = None,
    preferred_company_id: str | None = None,
) -> Pilot:
    """Record the pilot, then start its workflow; a repeated Idempotency-Key returns the first.

    The row is committed before Temporal is called, so no write lock waits on Temporal (on
    SQLite it would hold up every other writer). A start that fails takes the new row back;
    a retry with the same key starts the workflow of a row whose start was never seen to work.
    """
    async with transaction(sessions) as session:
        pilot, new = await _record_pilot(session, user, proposal, idempotency_key, parent_id)
    if not new and pilot.version > 0:
        return pilot  # its workflow has recorded a transition: it runs
    try:
        # A retry, or a start whose answer was lost, finds the workflow already started.
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await start_pilot(
                client,
                settings,
                proposal,
                actor_of(user),
                parent_id=parent_id,
                preferred_company_id=preferred_company_id,
                pilot_id=pilot.id,
            )
    except Exception:
        if new:
            async with transaction(sessions) as session:
                await PilotRepository(session).delete_unstarted(pilot.id)
        raise
    return pilot


async def _record_pilot(
    session: AsyncSession,
    user: User,
    proposal: Proposal,
    idempotency_key: str | None,
    parent_id: str | None,
) -> tuple[Pilot, bool]:
    """The pilot's row, added at stage `submitted`, or the one this key recorded; and if new."""
    repository = PilotRepository(session)
    if idempotency_key:
        existing = await repository.by_idempotency_key(user, idempotency_key)
        if existing is not None:
            return existing, False
    await check_theme(session, proposal.theme)
    if idempotency_key:
        pilot_id = uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{user.id}:{idempotency_key}").hex
    else:
        pilot_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    state = PilotState(pilot_id, proposal.town_id, proposal, Stage.SUBMITTED, now, now)
    state.parent_id = parent_id
    pilot = Pilot(
        id=pilot_id,
        workflow_id=workflow_id(pilot_id),
        created_at=now,
        created_by=user.id,
        idempotency_key=idempotency_key,
    )
    apply_state(pilot, state, 0)
    session.add(pilot)
    return pilot, True


def viewer_of(user: User) -> Viewer:
    """The disclosure policy's view of a user: role, town and company."""
    return Viewer(role=user.role, town_id=user.town_id, company_id=user.company_id)


def to_public(state: PilotState, user: User) -> PilotPublic:
    """The pilot as this user may read it (core.disclosure), with what this user may do now."""
    view = view_pilot(state, viewer_of(user))
    return public_model(view, allowed_actions(state, actor_of(user), datetime.now(UTC)))


def public_model(view: PilotView, actions: list[str]) -> PilotPublic:
    """The answer for a pilot as one reader sees it, with the actions that reader may take.

    One validation builds the whole answer: its nested parts are read from the state's own
    dataclasses, not copied into dictionaries first.
    """
    shown = view.state
    proposal = shown.proposal
    return PilotPublic.model_validate(
        {
            "id": shown.pilot_id,
            "town_id": shown.town_id,
            "title": proposal.title,
            "summary": proposal.summary,
            "theme": proposal.theme,
            "needs": proposal.needs,
            "budget_eur": proposal.budget_eur,
            "desired_start": proposal.desired_start,
            "duration_days": proposal.duration_days,
            "kpis": proposal.kpis,
            "stage": shown.stage,
            "outcome": shown.outcome,
            "round": shown.round,
            "candidates": shown.candidates,
            "partner_company_id": shown.partner_company_id,
            "partner_company_name": view.partner_name,
            "trial_start": shown.trial_start,
            "trial_end": shown.trial_end,
            "deadline": shown.deadline,
            "waiting_on": shown.waiting_on,
            "evaluation": shown.evaluation,
            "kpi_series": shown.kpi_series,
            "missed_checkins": shown.missed_checkins,
            "missed_checkin_count": shown.missed_checkin_count,
            "allowed_actions": actions,
            "parent_id": shown.parent_id,
            "created_at": shown.created_at,
            "updated_at": shown.updated_at,
        },
        from_attributes=True,
    )


def pilot_state(pilot: Pilot) -> PilotState:
    return state_from_json(pilot.state)


def check_may(pilot: Pilot, user: User, action: Action) -> PilotState:
    """Refuse at once what the role or the caller's objects rule out (403/404) or an ended pilot.

    Everything else about the stage is the workflow's to decide: it answers 409 with why.
    """
    state = pilot_state(pilot)
    refused = refusal(state, action, actor_of(user))
    if refused is not None and refused.kind == RefusalKind.ROLE:
        raise Forbidden(refused.reason)
    if refused is not None and refused.kind == RefusalKind.HIDDEN:
        raise NotFound(N_("no such pilot"))
    if refused is not None and action == Action.REPLICATE:
        raise Conflict(refused.reason)  # no workflow decides this one: the parent has ended
    if state.stage in END_STAGES and action != Action.REPLICATE:
        ended = N_("the pilot has ended (%(stage)s): it takes no more actions")
        raise Conflict(ended, stage=state.stage)
    return state


def update_id(user: User, action: Action, idempotency_key: str | None) -> str | None:
    """The Temporal Update id: from the user's Idempotency-Key, so a retry is the same Update.

    Without a key, Temporal makes a fresh one.
    """
    if not idempotency_key:
        return None
    return keyed_update_id(user.id, action, idempotency_key)


async def act(
    session: AsyncSession,
    client: Client,
    settings: Settings,
    user: User,
    pilot_id: str,
    action: Action,
    update: Any,
    request_for: Callable[[PilotState], Any | Awaitable[Any]],
    *,
    idempotency_key: str | None = None,
) -> PilotPublic:
    """Take one action on a pilot through its workflow, at most once per Idempotency-Key.

    The answer comes from the read model, which the Update has written before it returns.
    """
    pilot = await visible_pilot(session, user, pilot_id)
    key = update_id(user, action, idempotency_key)
    if key is not None and _acted(pilot_state(pilot), key):
        # Done already (even if the pilot has ended since): the same answer, not a second act.
        return to_public(pilot_state(pilot), user)
    state = check_may(pilot, user, action)
    request = request_for(state)
    if inspect.isawaitable(request):
        request = await request  # a request that needs the database first (amend's theme)
    await run_update(client, settings, pilot_id, update, request, key)
    await session.refresh(pilot)
    return to_public(pilot_state(pilot), user)


def _acted(state: PilotState, key: str) -> bool:
    return any(receipt.update_id == key for receipt in state.receipts)


async def run_update(
    client: Client,
    settings: Settings,
    pilot_id: str,
    update: Any,
    request: Any,
    update_id: str | None = None,
) -> ActionResult:
    """Send an Update and wait for the workflow's answer, or 503 if no worker takes it in time.

    A retry with the same id joins the Update Temporal already holds: it acts once.
    """
    handle = client.get_workflow_handle_for(PilotWorkflow.run, workflow_id(pilot_id))
    try:
        async with asyncio.timeout(settings.action_wait_seconds):
            result: ActionResult = await handle.execute_update(update, request, id=update_id)
    except (TimeoutError, RPCTimeoutOrCancelledError):
        # The SDK reports its cancelled call as its own error rather than the timeout's.
        raise Unavailable(
            N_("no worker took the action in time: retry with the same Idempotency-Key"),
            retry_after=ACTION_RETRY_AFTER_SECONDS,
        ) from None
    return result


async def visible_state(session: AsyncSession, user: User, pilot_id: str) -> StoredState:
    """The state of the pilot if this user may see it, for a read; 404 as visible_pilot."""
    stored = await PilotRepository(session).visible_state(user, pilot_id)
    if stored is None:
        raise NotFound(N_("no such pilot"))
    return stored


async def visible_pilot(session: AsyncSession, user: User, pilot_id: str) -> Pilot:
    """The pilot if this user may see it; 404 whether it is missing or hidden."""
    pilot = await PilotRepository(session).get_visible(user, pilot_id)
    if pilot is None:
        raise NotFound(N_("no such pilot"))
    return pilot
