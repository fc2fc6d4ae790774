"""The read model and audit trail: one write per transition; an older one never wins."""

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.read_model import ReadModelActivities
from core.db import transaction
from core.models import AuditEvent, Candidate, Pilot, Town
from core.pilot_state import state_from_json
from workflows.contracts import CandidateState, Kpi, PilotState, Proposal, TransitionRecord

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def _state(seq: int, stage: str, **changes: object) -> PilotState:
    proposal = Proposal(
        town_id="lille",
        title="Bancs connectés",
        summary="s",
        theme="efficient-city",
        needs=["iot"],
        budget_eur=1000.0,
        desired_start=date(2026, 12, 1),
        duration_days=60,
        kpis=[Kpi("usage", "visits", 10.0, 20.0)],
    )
    state = PilotState(
        pilot_id="p1",
        town_id="lille",
        proposal=proposal,
        stage=stage,
        created_at=NOW,
        updated_at=NOW + timedelta(minutes=seq),
        seq=seq,
    )
    return replace(state, **changes)


def _record(seq: int, kind: str, state: PilotState) -> TransitionRecord:
    return TransitionRecord(
        seq=seq,
        at=state.updated_at,
        kind=kind,
        actor={"user_id": "u1", "role": "admin"},
        data={"n": seq},
        state=state,
        created_by="officer-1",
    )


async def test_transitions_are_written_once_and_in_order(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        session.add(Town(id="lille", name="Lille"))
    activities = ReadModelActivities(sessions)
    submitted = _record(1, "submitted", _state(1, "submitted"))
    candidates = [CandidateState("c1", "C1", 70.0, ["fits"], 1, "interested", "hello")]
    matching = _record(
        2, "companies_invited", _state(2, "matching", round=1, candidates=candidates)
    )

    await activities.record_transition(matching)
    await activities.record_transition(submitted)  # late and older: audit only
    await activities.record_transition(matching)  # a retry: nothing new

    async with sessions() as session:
        events = list(await session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        pilot = await session.get(Pilot, "p1")
        stored = list(await session.scalars(select(Candidate)))
        total = await session.scalar(select(func.count()).select_from(AuditEvent))
    assert total == 2
    assert [(e.seq, e.kind, e.stage) for e in events] == [
        (1, "submitted", "submitted"),
        (2, "companies_invited", "matching"),
    ]
    assert events[0].at == NOW + timedelta(minutes=1)
    assert events[0].at.tzinfo is not None
    assert pilot is not None
    assert (pilot.stage, pilot.version, pilot.round) == ("matching", 2, 1)
    assert pilot.created_by == "officer-1"
    assert pilot.desired_start.isoformat() == "2026-12-01"
    assert state_from_json(pilot.state) == matching.state
    assert [(c.company_id, c.status, c.message) for c in stored] == [("c1", "interested", "hello")]


async def test_two_first_transitions_racing_create_one_row(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        session.add(Town(id="lille", name="Lille"))
    activities = ReadModelActivities(sessions)
    submitted = _record(1, "submitted", _state(1, "submitted"))
    reviewed = _record(2, "reviewed", _state(2, "matching"))
    await asyncio.gather(
        activities.record_transition(submitted), activities.record_transition(reviewed)
    )
    async with sessions() as session:
        pilot = await session.get(Pilot, "p1")
        total = await session.scalar(select(func.count()).select_from(AuditEvent))
    assert pilot is not None
    assert (pilot.stage, pilot.version, total) == ("matching", 2, 2)
