"""Lead times and the funnel, checked against pilots with known timings on both databases."""

from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import transaction
from core.lead_times import (
    Grouping,
    Milestone,
    Period,
    StageTime,
    Step,
    funnel,
    lead_times,
    percentile,
)
from core.models import Town
from tests.core.lead_time_region import DAY, LILLE, ROUBAIX, START, write_pilot, write_region
from workflows.stages import Stage


def test_percentiles_interpolate_between_nearest_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1.0, 2.0, 4.0, 6.0], 0.5) == 3.0
    assert percentile([1.0, 2.0, 4.0, 6.0], 0.9) == pytest.approx(5.4)
    assert percentile([float(n) for n in range(1, 11)], 0.9) == pytest.approx(9.1)


def _by_stage(times: list[StageTime]) -> dict[Stage, tuple[int, int, float | None, float | None]]:
    def days(seconds: float | None) -> float | None:
        return None if seconds is None else round(seconds / DAY, 6)

    return {t.stage: (t.stays, t.open, days(t.median_seconds), days(t.p90_seconds)) for t in times}


async def test_lead_times_overall_and_by_theme(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await write_region(sessions)
    async with sessions() as session:
        result = await lead_times(session, Grouping.THEME, Period())
    assert _by_stage(result.overall) == {
        # P1 2 days, P2 1 then 4, P3 6; P4 still there.
        Stage.SUBMITTED: (4, 1, 3.0, 5.4),
        Stage.CHANGES_REQUESTED: (1, 0, 2.0, 2.0),
        # P1 3 days; P2 still matching.
        Stage.MATCHING: (1, 1, 3.0, 3.0),
        Stage.TRIAL_SCHEDULED: (1, 0, 1.0, 1.0),
        Stage.TRIAL_RUNNING: (1, 0, 30.0, 30.0),
        Stage.EVALUATION: (1, 0, 4.0, 4.0),
    }
    assert [group.key for group in result.groups] == ["creative-city", "efficient-city"]
    creative, efficient = (_by_stage(group.stages) for group in result.groups)
    assert creative[Stage.SUBMITTED] == (0, 1, None, None)
    assert efficient[Stage.SUBMITTED] == (4, 0, 3.0, 5.4)
    assert efficient[Stage.MATCHING] == (1, 1, 3.0, 3.0)


async def test_lead_times_by_town_and_period(sessions: async_sessionmaker[AsyncSession]) -> None:
    await write_region(sessions)
    async with sessions() as session:
        by_town = await lead_times(session, Grouping.TOWN, Period())
        january = await lead_times(session, Grouping.TOWN, Period(end=date(2026, 1, 31)))
        march = await lead_times(session, Grouping.TOWN, Period(start=date(2026, 3, 2)))
    towns = {group.key: _by_stage(group.stages) for group in by_town.groups}
    assert set(towns) == {LILLE, ROUBAIX}
    # Lille: P1 2 days, P2 1 and 4 days; Roubaix: P3 6 days, P4 open.
    assert towns[LILLE][Stage.SUBMITTED] == (3, 0, 2.0, 3.6)
    assert towns[ROUBAIX][Stage.SUBMITTED] == (1, 1, 6.0, 6.0)
    assert _by_stage(january.overall)[Stage.SUBMITTED] == (4, 0, 3.0, 5.4)
    assert _by_stage(march.overall)[Stage.SUBMITTED] == (0, 1, None, None)
    assert [group.key for group in march.groups] == [ROUBAIX]


async def test_a_period_to_the_last_date_there_is_bounds_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await write_region(sessions)
    async with sessions() as session:
        everything = await lead_times(session, Grouping.THEME, Period())
        to_the_end = await lead_times(session, Grouping.THEME, Period(end=date.max))
        steps, _ = await funnel(session, Period())
        steps_to_the_end, _ = await funnel(session, Period(end=date.max))
    assert to_the_end == everything
    assert _counts(steps_to_the_end) == _counts(steps)
    assert _counts(steps)[0] > 0


def _counts(steps: list[Step]) -> list[int]:
    return [step.pilots for step in steps]


async def test_funnel_overall_and_by_month(sessions: async_sessionmaker[AsyncSession]) -> None:
    await write_region(sessions)
    async with sessions() as session:
        steps, months = await funnel(session, Period(), by_month=True)
        only_overall, none = await funnel(session, Period())
        march, _ = await funnel(session, Period(start=date(2026, 2, 1)))
    assert [step.milestone for step in steps] == list(Milestone)
    assert _counts(steps) == [4, 2, 1, 1, 1, 1, 1]
    assert [step.from_previous for step in steps] == [1.0, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0]
    assert [step.from_submitted for step in steps] == [1.0, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25]
    assert [month.month for month in months] == ["2026-01", "2026-03"]
    assert _counts(months[0].steps) == [3, 2, 1, 1, 1, 1, 1]
    assert _counts(months[1].steps) == [1, 0, 0, 0, 0, 0, 0]
    assert months[1].steps[1].from_previous == 0.0
    assert months[1].steps[2].from_previous is None
    assert _counts(only_overall) == _counts(steps) and none == []
    assert _counts(march) == [1, 0, 0, 0, 0, 0, 0]


async def test_an_empty_region(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        times = await lead_times(session, Grouping.THEME, Period())
        steps, months = await funnel(session, Period(), by_month=True)
    assert times.groups == [] and all(t.stays == 0 and t.open == 0 for t in times.overall)
    assert _counts(steps) == [0] * 7 and steps[0].from_previous is None and months == []


async def test_an_extended_trial_that_started_at_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A partner chosen on the start day goes straight to trial_running (no trial_started
    entry), and an `extend` decision sends the pilot back there: two stays, one pilot."""
    async with transaction(sessions) as session:
        session.add(Town(id=LILLE, name="Lille"))
        await session.flush()
        await write_pilot(
            session,
            "px",
            LILLE,
            "efficient-city",
            START,
            None,
            None,
            [
                (0, "submitted", "submitted"),
                (1, "reviewed", "matching"),
                (3, "partner_selected", "trial_running"),
                (33, "trial_ended", "evaluation"),
                (34, "evaluation_submitted", "evaluation"),
                (35, "decided", "trial_running"),
                (45, "trial_ended", "evaluation"),
            ],
        )
    async with sessions() as session:
        times = _by_stage((await lead_times(session, Grouping.TOWN, Period())).overall)
        steps, _ = await funnel(session, Period())
    assert times[Stage.TRIAL_RUNNING] == (2, 0, 20.0, 28.0)
    assert times[Stage.EVALUATION] == (1, 1, 2.0, 2.0)
    assert times[Stage.TRIAL_SCHEDULED] == (0, 0, None, None)
    assert _counts(steps) == [1, 1, 1, 1, 1, 0, 0]
