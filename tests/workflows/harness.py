"""Recording activities and helpers for driving PilotWorkflow in tests.

The activities here stand in for the database and SMTP so the lifecycle's logic and
timing can be checked on the time-skipping server; the real activities are tested
against the real database and SMTP server in tests/activities and tests/e2e.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from workflows.contracts import (
    Actor,
    CandidateState,
    Kpi,
    LifecycleRules,
    MatchingRequest,
    MatchingResult,
    NotificationRequest,
    NotificationResult,
    PilotInput,
    PilotState,
    Proposal,
    TransitionRecord,
)
from workflows.pilot import PilotWorkflow
from workflows.task_queues import email_task_queue

TOWN = "town-lille"
ADMIN = Actor(role="admin", user_id="u-admin")
OFFICER = Actor(role="town_officer", user_id="u-officer", town_id=TOWN)
OTHER_OFFICER = Actor(role="town_officer", user_id="u-other", town_id="town-roubaix")


def company(company_id: str) -> Actor:
    return Actor(role="company", user_id=f"u-{company_id}", company_id=company_id)


@dataclass
class Recorder:
    """Activities that record what the workflow asked for; companies come from `pool`."""

    pool: list[str] = field(default_factory=lambda: ["c1", "c2", "c3", "c4"])
    transitions: list[TransitionRecord] = field(default_factory=list)
    notifications: list[NotificationRequest] = field(default_factory=list)
    matching_requests: list[MatchingRequest] = field(default_factory=list)
    email_task_queues: set[str] = field(default_factory=set)  # where the email was taken from

    @activity.defn
    async def record_transition(self, record: TransitionRecord) -> None:
        if all(t.seq != record.seq for t in self.transitions):
            self.transitions.append(record)

    @activity.defn
    async def find_candidates(self, request: MatchingRequest) -> MatchingResult:
        self.matching_requests.append(request)
        free = [c for c in self.pool if c not in request.exclude_company_ids]
        if request.preferred_company_id in free:
            free.remove(request.preferred_company_id)
            free.insert(0, request.preferred_company_id)
        chosen = free[: request.limit]
        return MatchingResult(
            [
                CandidateState(c, c.upper(), 50.0 - i, ["test"], request.round)
                for i, c in enumerate(chosen)
            ]
        )

    @activity.defn
    async def send_notification(self, request: NotificationRequest) -> NotificationResult:
        self.notifications.append(request)
        self.email_task_queues.add(activity.info().task_queue)
        return NotificationResult(sent=1)

    def activities(self) -> list[object]:
        return [self.record_transition, self.find_candidates, self.send_notification]

    def kinds(self) -> list[str]:
        return [t.kind for t in sorted(self.transitions, key=lambda t: t.seq)]

    def at(self, kind: str) -> list[datetime]:
        return [t.at for t in sorted(self.transitions, key=lambda t: t.seq) if t.kind == kind]

    def sent(self, template: str) -> list[NotificationRequest]:
        return [n for n in self.notifications if n.template == template]

    async def email(self, template: str, count: int = 1) -> list[NotificationRequest]:
        """The requests for `template`, once `count` have come: email goes out in the background."""
        for _ in range(200):
            if len(self.sent(template)) >= count:
                return self.sent(template)
            await asyncio.sleep(0.05)
        raise AssertionError(f"{count} {template} email(s) never came")


def proposal(*, desired_start: date, duration_days: int = 90) -> Proposal:
    return Proposal(
        town_id=TOWN,
        title="Smart street lighting",
        summary="Dim the lights when nobody is there.",
        theme="efficient-city",
        needs=["iot", "lighting"],
        budget_eur=40000.0,
        desired_start=desired_start,
        duration_days=duration_days,
        kpis=[Kpi(name="energy", unit="kWh", baseline=1000.0, target=700.0)],
    )


def rules(**overrides: float) -> LifecycleRules:
    base = LifecycleRules(invites_per_round=2)
    for name, value in overrides.items():
        setattr(base, name, value)
    return base


async def act(
    handle: WorkflowHandle[PilotWorkflow, object], update: Any, request: Any
) -> PilotState:
    """Run an Update, then read the state it left: Updates answer only their seq and stage."""
    await handle.execute_update(update, request)
    return await handle.query(PilotWorkflow.get_state)


@asynccontextmanager
async def worker(
    client: Client,
    recorder: Recorder,
    task_queue: str,
    *,
    workflows: Sequence[type] = (PilotWorkflow,),
    **options: Any,
) -> AsyncIterator[None]:
    """A worker on `task_queue` and one on its email queue, as `pilotflow worker` runs them."""
    pilots = Worker(
        client,
        task_queue=task_queue,
        workflows=list(workflows),
        activities=recorder.activities(),
        **options,
    )
    email = Worker(
        client, task_queue=email_task_queue(task_queue), activities=[recorder.send_notification]
    )
    async with pilots, email:
        yield


async def start_pilot(
    client: Client,
    task_queue: str,
    *,
    start_in_days: int = 10,
    now: datetime,
    lifecycle: LifecycleRules | None = None,
    preferred_company_id: str | None = None,
) -> WorkflowHandle[PilotWorkflow, object]:
    pilot_id = uuid.uuid4().hex
    start = (now + timedelta(days=start_in_days)).date()
    return await client.start_workflow(
        PilotWorkflow.run,
        PilotInput(
            pilot_id=pilot_id,
            proposal=proposal(desired_start=start),
            submitted_by=OFFICER,
            rules=lifecycle or rules(),
            preferred_company_id=preferred_company_id,
        ),
        id=f"pilot-{pilot_id}",
        task_queue=task_queue,
    )
