"""A past for the demo pilots: their audit trail spread over the months before the seed.

The seed moves its pilots through their stages in seconds, so every stay would last
nothing and every pilot would be submitted this month. Lead times and the funnel by month
(computed from the audit trail) would show nothing. This step, demo only, moves each seeded
pilot's audit timestamps (and its row's created_at) back to a schedule drawn from a seeded
generator: plausible stays per stage, submissions over the last ten months. Temporal's own
histories keep their real times; only the read model's trail is dated back.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import transaction
from core.models import AuditEvent, Pilot

SEED = 59_350  # fixed: the same stays on every run (Lille's INSEE code)
# Days a pilot stays in a stage before it moves on: (shortest, longest).
STAYS: dict[str, tuple[float, float]] = {
    "submitted": (1, 14),
    "changes_requested": (3, 21),
    "matching": (4, 35),
    "trial_scheduled": (2, 20),
    "trial_running": (25, 110),
    "evaluation": (3, 25),
}
WITHIN_STAGE = (0.2, 4.0)  # days between two events that leave the stage as it was
OTHER_STAGE = (1.0, 10.0)
OPEN_SINCE = (0.5, 20.0)  # days since an open pilot's last event
ENDED_SINCE = (2.0, 150.0)  # days since an ended pilot's last event
ENDED = frozenset({"closed", "rejected", "unmatched", "withdrawn", "cancelled"})


@dataclass(frozen=True)
class Event:
    seq: int
    stage: str


def schedule(events: Sequence[Event], now: datetime, draw: random.Random) -> list[datetime]:
    """When each event (in seq order) happened: stays drawn per stage, the last one in the past."""
    gaps = [0.0]
    for before, event in pairwise(events):
        if event.stage == before.stage:
            low, high = WITHIN_STAGE
        else:
            low, high = STAYS.get(before.stage, OTHER_STAGE)
        gaps.append(draw.uniform(low, high))
    last_stage = events[-1].stage if events else ""
    since = draw.uniform(*(ENDED_SINCE if last_stage in ENDED else OPEN_SINCE))
    start = now - timedelta(days=since + sum(gaps))
    times, at = [], start
    for gap in gaps:
        at += timedelta(days=gap)
        times.append(at)
    return times


async def date_back(
    sessions: async_sessionmaker[AsyncSession], pilot_ids: Sequence[str], *, seed: int = SEED
) -> int:
    """Give the pilots (in the order given) their past; the number of audit events moved."""
    draw = random.Random(seed)
    now = datetime.now(UTC)
    moved = 0
    async with transaction(sessions) as session:
        for pilot_id in pilot_ids:
            moved += await _date_back_one(session, pilot_id, now, draw)
    return moved


async def _date_back_one(
    session: AsyncSession, pilot_id: str, now: datetime, draw: random.Random
) -> int:
    query = select(AuditEvent).where(AuditEvent.pilot_id == pilot_id).order_by(AuditEvent.seq)
    rows = list((await session.execute(query)).scalars())
    if not rows:
        return 0
    times = schedule([Event(r.seq, r.stage) for r in rows], now, draw)
    for row, at in zip(rows, times, strict=True):
        row.at = at
    values = {"created_at": times[0], "updated_at": times[-1]}
    await session.execute(update(Pilot).where(Pilot.id == pilot_id).values(**values))
    return len(rows)
