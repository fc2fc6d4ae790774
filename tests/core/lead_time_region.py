"""A small region whose pilots have known timings, written straight to the read model.

Four pilots, days after 2026-01-05 09:00 UTC (P4 two months later):

- P1 (efficient-city, Lille): submitted 0, matching 2, partner chosen (trial_scheduled) 5,
  trial_running 6, evaluation 36, evaluated 37, closed generalize 40; replicated by P4.
- P2 (efficient-city, Lille): submitted 0, changes_requested 1, submitted again 3,
  matching 7, still matching.
- P3 (efficient-city, Roubaix): submitted 0, rejected 6.
- P4 (creative-city, Roubaix, March): submitted, a review reminder a day later, still there.
"""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import transaction
from core.models import AuditEvent, Pilot, Town
from core.pilot_state import apply_state
from workflows.contracts import Outcome, PilotState, Proposal

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
MARCH = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = 86400.0
LILLE, ROUBAIX = "town-lille", "town-roubaix"

# pilot: (town, theme, submitted at, outcome, parent, [(day, kind, stage)])
PILOTS: dict[str, tuple[str, str, datetime, str | None, str | None, list[tuple[float, str, str]]]]
PILOTS = {
    "p1": (
        LILLE,
        "efficient-city",
        START,
        "generalize",
        None,
        [
            (0, "submitted", "submitted"),
            (2, "reviewed", "matching"),
            (2, "companies_invited", "matching"),
            (5, "partner_selected", "trial_scheduled"),
            (6, "trial_started", "trial_running"),
            (36, "trial_ended", "evaluation"),
            (37, "evaluation_submitted", "evaluation"),
            (40, "decided", "closed"),
            (40, "generalization_offered", "closed"),
        ],
    ),
    "p2": (
        LILLE,
        "efficient-city",
        START,
        None,
        None,
        [
            (0, "submitted", "submitted"),
            (1, "reviewed", "changes_requested"),
            (3, "amended", "submitted"),
            (7, "reviewed", "matching"),
            (7, "companies_invited", "matching"),
        ],
    ),
    "p3": (
        ROUBAIX,
        "efficient-city",
        START,
        None,
        None,
        [(0, "submitted", "submitted"), (6, "reviewed", "rejected")],
    ),
    "p4": (
        ROUBAIX,
        "creative-city",
        MARCH,
        None,
        "p1",
        [(0, "submitted", "submitted"), (1, "review_reminder", "submitted")],
    ),
}


async def write_region(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(sessions) as session:
        session.add_all([Town(id=LILLE, name="Lille"), Town(id=ROUBAIX, name="Roubaix")])
        await session.flush()
        for pilot_id, (town, theme, at, outcome, parent, events) in PILOTS.items():
            await write_pilot(session, pilot_id, town, theme, at, outcome, parent, events)


async def write_pilot(
    session: AsyncSession,
    pilot_id: str,
    town: str,
    theme: str,
    at: datetime,
    outcome: str | None,
    parent: str | None,
    events: list[tuple[float, str, str]],
) -> None:
    """One pilot's read-model row and audit trail: (days after `at`, kind, stage) entries."""
    proposal = Proposal(town, f"Pilot {pilot_id}", "About it", theme, [], 1.0, date(2026, 6, 1), 30)
    last = events[-1][2]
    ending = Outcome(outcome) if outcome else None
    state = PilotState(pilot_id, town, proposal, last, at, at, outcome=ending, parent_id=parent)
    pilot = Pilot(id=pilot_id, workflow_id=f"pilot-{pilot_id}", created_at=at)
    apply_state(pilot, state, len(events))
    session.add(pilot)
    for seq, (day, kind, stage) in enumerate(events, start=1):
        session.add(
            AuditEvent(
                pilot_id=pilot_id,
                seq=seq,
                at=at + timedelta(days=day),
                kind=kind,
                stage=stage,
                actor={"system": "workflow"},
                data={},
            )
        )
