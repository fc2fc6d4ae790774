"""Six months of a region's pilots with plausible timings, for the lead-time charts' picture.

Deterministic (a seeded generator): the same pilots every run, written straight to the read
model as the workflow's activities would, trail included.
"""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tests.core.lead_time_region import write_pilot

THEMES = ("efficient-city", "creative-city", "european-city")
# Each theme's pace: reviews and matching are slower for some.
PACE = {"efficient-city": 1.0, "creative-city": 1.4, "european-city": 0.8}
FIRST_MONTH = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


Trail = list[tuple[float, str, str]]


def _trail(rng: random.Random, pace: float, age_days: float) -> tuple[Trail, str | None]:
    """One pilot's entries up to its end or to today (`age_days` after submission)."""
    events: list[tuple[float, str, str]] = [(0, "submitted", "submitted")]
    day = 0.0

    def step(days: float, kind: str, stage: str) -> bool:
        nonlocal day
        if day + days > age_days:
            return False
        day += days
        events.append((round(day, 2), kind, stage))
        return True

    if rng.random() < 0.25:
        if not step(rng.uniform(1, 6) * pace, "reviewed", "changes_requested"):
            return events, None
        if not step(rng.uniform(2, 10), "amended", "submitted"):
            return events, None
    review = rng.random()
    if not step(rng.uniform(2, 12) * pace, "reviewed", "rejected" if review < 0.15 else "matching"):
        return events, None
    if review < 0.15:
        return events, None
    if rng.random() < 0.12:
        step(28, "unmatched", "unmatched")
        return events, None
    if not step(rng.uniform(5, 25) * pace, "partner_selected", "trial_scheduled"):
        return events, None
    if not step(rng.uniform(2, 20), "trial_started", "trial_running"):
        return events, None
    if not step(rng.uniform(45, 90), "trial_ended", "evaluation"):
        return events, None
    if not step(rng.uniform(3, 15) * pace, "evaluation_submitted", "evaluation"):
        return events, None
    generalize = rng.random() < 0.55
    if not step(rng.uniform(2, 10), "decided", "closed"):
        return events, None
    return events, "generalize" if generalize else "stop"


async def write_pilots(session: AsyncSession, towns: list[str], now: datetime) -> None:
    """About 80 pilots over six months of submissions, some of them replicated."""
    rng = random.Random(11)
    generalized: list[str] = []
    days = sorted(rng.uniform(0, 182) for _ in range(80))
    for index, offset in enumerate(days):
        at = FIRST_MONTH + timedelta(days=offset)
        theme = THEMES[index % len(THEMES)]
        events, outcome = _trail(rng, PACE[theme], (now - at).total_seconds() / 86400)
        pilot_id = f"leadtime{index:04d}"
        parent = rng.choice(generalized) if generalized and rng.random() < 0.3 else None
        town = towns[rng.randrange(len(towns))]
        await write_pilot(session, pilot_id, town, theme, at, outcome, parent, events)
        if outcome == "generalize":
            generalized.append(pilot_id)
