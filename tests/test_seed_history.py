"""The demo pilots' past: stays drawn per stage, the same on every run, always in the past."""

import itertools
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cli.seed import seed_reference_data
from cli.seed_history import STAYS, WITHIN_STAGE, Event, date_back, schedule
from core.models import AuditEvent, Pilot
from core.settings import Settings

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
CLOSED = [
    Event(1, "submitted"),
    Event(2, "matching"),
    Event(3, "matching"),
    Event(4, "trial_scheduled"),
    Event(5, "trial_running"),
    Event(6, "evaluation"),
    Event(7, "closed"),
]


def test_each_stay_is_drawn_within_its_stage_bounds() -> None:
    times = schedule(CLOSED, NOW, random.Random(1))
    assert times == sorted(times) and times[-1] < NOW
    days = [(b - a) / timedelta(days=1) for a, b in itertools.pairwise(times)]
    # A gap is the stay in the stage before it; two events in one stage are close together.
    bounds = [STAYS["submitted"], WITHIN_STAGE, STAYS["matching"]]
    bounds += [STAYS["trial_scheduled"], STAYS["trial_running"], STAYS["evaluation"]]
    for gap, (low, high) in zip(days, bounds, strict=True):
        assert low <= gap <= high


def test_the_schedule_is_the_same_for_the_same_seed() -> None:
    assert schedule(CLOSED, NOW, random.Random(7)) == schedule(CLOSED, NOW, random.Random(7))
    assert schedule(CLOSED, NOW, random.Random(7)) != schedule(CLOSED, NOW, random.Random(8))


async def test_date_back_moves_the_trail_and_the_row(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    region = await seed_reference_data(sessions, Settings(data_dir=tmp_path))
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        session.add(
            Pilot(
                id="p1", workflow_id="pilot-p1", town_id=region.towns["Lille"], title="t",
                summary="s", theme="efficient-city", budget_eur=1.0,
                desired_start=now.date(), duration_days=30, stage="closed",
            )
        )  # fmt: skip
        for event in CLOSED:
            session.add(
                AuditEvent(pilot_id="p1", seq=event.seq, at=now, kind="k", stage=event.stage)
            )
    assert await date_back(sessions, ["p1", "unknown"]) == len(CLOSED)
    async with sessions() as session:
        pilot = await session.get(Pilot, "p1")
        rows = (await session.execute(select(AuditEvent).order_by(AuditEvent.seq))).scalars()
        times = [e.at for e in rows]
    assert pilot is not None
    assert (pilot.created_at, pilot.updated_at) == (times[0], times[-1])
    assert times == sorted(times) and times[-1] < now
    assert now - times[0] > timedelta(days=30)  # at least the trial's shortest stay
