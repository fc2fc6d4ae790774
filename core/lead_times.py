"""Lead times per stage and the conversion funnel, computed from the pilots' audit trail.

A *stay* is the time from the audit entry that put a pilot in a stage to the next entry
that put it in another one. Only closed stays count in the statistics; a pilot still in a
stage is counted apart (`open`), since its stay has no length yet. End stages have no
stays: nothing leaves them. A pilot that comes back to a stage (changes requested then
resubmitted, a trial extended) has one stay per visit.

Percentiles interpolate linearly between the two nearest ranks (numpy's default, Excel's
PERCENTILE.INC, Hyndman and Fan's type 7): the median of an even count is the mean of the
two middle values, and p90 of [1..10] is 9.1.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import AuditEvent, Pilot
from workflows.contracts import EventKind
from workflows.stages import END_STAGES, Stage

# Stages a pilot stays in, in lifecycle order.
STAY_STAGES: tuple[Stage, ...] = tuple(stage for stage in Stage if stage not in END_STAGES)
# Rows fetched at a time while streaming the trail.
_BATCH = 1000


class Grouping(StrEnum):
    THEME = "theme"
    TOWN = "town"


class Milestone(StrEnum):
    """The funnel's steps, each read from the trail (see README's API notes)."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    PARTNER_MATCHED = "partner_matched"
    TRIAL_STARTED = "trial_started"
    EVALUATED = "evaluated"
    DECIDED_GENERALIZE = "decided_generalize"
    REPLICATED = "replicated"


@dataclass(frozen=True)
class Period:
    """Pilots submitted from `start` to `end`, both days included (UTC); None is open-ended."""

    start: date | None = None
    end: date | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.start is not None:
            found.append(Pilot.created_at >= datetime.combine(self.start, time(), UTC))
        if self.end is not None and self.end < date.max:  # the last day bounds nothing
            after = datetime.combine(self.end + timedelta(days=1), time(), UTC)
            found.append(Pilot.created_at < after)
        return found


@dataclass(frozen=True)
class StageTime:
    stage: Stage
    stays: int
    open: int
    median_seconds: float | None
    p90_seconds: float | None


@dataclass(frozen=True)
class GroupTimes:
    key: str
    stages: list[StageTime]


@dataclass(frozen=True)
class LeadTimes:
    overall: list[StageTime]
    groups: list[GroupTimes]


@dataclass(frozen=True)
class Step:
    milestone: Milestone
    pilots: int
    # Shares of the previous step and of the submitted pilots; None when that is zero.
    from_previous: float | None
    from_submitted: float | None


@dataclass(frozen=True)
class MonthFunnel:
    month: str
    steps: list[Step]


@dataclass
class _Samples:
    stays: dict[Stage, list[float]] = field(default_factory=lambda: defaultdict(list))
    open: dict[Stage, int] = field(default_factory=lambda: defaultdict(int))

    def times(self) -> list[StageTime]:
        return [
            StageTime(
                stage=stage,
                stays=len(values := sorted(self.stays[stage])),
                open=self.open[stage],
                median_seconds=percentile(values, 0.5),
                p90_seconds=percentile(values, 0.9),
            )
            for stage in STAY_STAGES
        ]


def percentile(ordered: list[float], q: float) -> float | None:
    """The q-quantile (0..1) of sorted values, interpolated between nearest ranks; None if empty."""
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


async def lead_times(session: AsyncSession, grouping: Grouping, period: Period) -> LeadTimes:
    """Median and p90 of each stage's stays, overall and per theme or town.

    Streams the trail pilot by pilot: only the stays' lengths are kept, never the rows.
    """
    key_column = Pilot.theme if grouping is Grouping.THEME else Pilot.town_id
    query = (
        select(AuditEvent.pilot_id, AuditEvent.at, AuditEvent.stage, key_column)
        .join(Pilot, Pilot.id == AuditEvent.pilot_id)
        .where(*period.conditions())
        .order_by(AuditEvent.pilot_id, AuditEvent.seq)
        .execution_options(yield_per=_BATCH)
    )
    overall = _Samples()
    groups: dict[str, _Samples] = defaultdict(_Samples)
    # The pilot being read, its group, its stage and since when.
    current: tuple[str, str, str, datetime] | None = None
    # A batch at a time: iterating an async stream row by row costs five times more.
    async for batch in (await session.stream(query)).partitions():
        for pilot_id, at, stage, key in batch:
            if current is not None and current[0] != pilot_id:
                _close_open(current[2], overall, groups[current[1]])
                current = None
            if current is None or current[2] != stage:
                if current is not None:
                    seconds = (at - current[3]).total_seconds()
                    _add_stay(current[2], seconds, overall, groups[current[1]])
                current = (pilot_id, str(key), stage, at)
    if current is not None:
        _close_open(current[2], overall, groups[current[1]])
    return LeadTimes(
        overall=overall.times(),
        groups=[GroupTimes(key, groups[key].times()) for key in sorted(groups)],
    )


def _add_stay(stage: str, seconds: float, *samples: _Samples) -> None:
    if stage in STAY_STAGES:
        for each in samples:
            each.stays[Stage(stage)].append(seconds)


def _close_open(stage: str, *samples: _Samples) -> None:
    """The pilot's last stage: if it is not an end stage, it is still there."""
    if stage in STAY_STAGES:
        for each in samples:
            each.open[Stage(stage)] += 1


async def funnel(
    session: AsyncSession, period: Period, *, by_month: bool = False
) -> tuple[list[Step], list[MonthFunnel]]:
    """How many pilots reached each milestone, overall and (if asked) per month submitted.

    The database reduces the trail to one row of milestones per pilot; those rows stream.
    """
    query = _milestones_query(period).execution_options(yield_per=_BATCH)
    overall: dict[Milestone, int] = defaultdict(int)
    months: dict[str, dict[Milestone, int]] = defaultdict(lambda: defaultdict(int))
    async for batch in (await session.stream(query)).partitions():
        for row in batch:
            created_at, flags = row[0], row[1:]
            month = created_at.astimezone(UTC).strftime("%Y-%m") if by_month else ""
            for milestone, reached in zip(Milestone, [1, *flags], strict=True):
                if reached:
                    overall[milestone] += 1
                    if by_month:
                        months[month][milestone] += 1
    return _steps(overall), [MonthFunnel(m, _steps(months[m])) for m in sorted(months)]


def _milestones_query(period: Period) -> Select[datetime, int, int, int, int, int, int]:
    def reached(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.max(case((condition, 1), else_=0))

    replicated = (
        select(Pilot.parent_id.label("parent_id"))
        .where(Pilot.parent_id.is_not(None))
        .distinct()
        .subquery()
    )
    return (
        select(
            Pilot.created_at,
            reached(AuditEvent.stage == Stage.MATCHING.value),
            reached(AuditEvent.kind == EventKind.PARTNER_SELECTED.value),
            reached(AuditEvent.stage == Stage.TRIAL_RUNNING.value),
            reached(AuditEvent.kind == EventKind.EVALUATION_SUBMITTED.value),
            reached(Pilot.outcome == "generalize"),
            reached(replicated.c.parent_id.is_not(None)),
        )
        .select_from(Pilot)
        .outerjoin(AuditEvent, AuditEvent.pilot_id == Pilot.id)
        .outerjoin(replicated, replicated.c.parent_id == Pilot.id)
        .where(*period.conditions())
        .group_by(Pilot.id, Pilot.created_at)
    )


def _steps(counts: dict[Milestone, int]) -> list[Step]:
    submitted = counts.get(Milestone.SUBMITTED, 0)
    steps: list[Step] = []
    previous: int | None = None
    for milestone in Milestone:
        count = counts.get(milestone, 0)
        base = submitted if previous is None else previous
        steps.append(
            Step(milestone, count, _share(count, base), _share(count, submitted)),
        )
        previous = count
    return steps


def _share(count: int, base: int) -> float | None:
    return count / base if base else None
