"""Lead times per stage and the funnel, for the programme team."""

from dataclasses import asdict
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from core import lead_times as compute
from core.lead_times import Grouping, Period
from service.errors import Invalid
from service.schemas.lead_times import Funnel, FunnelMonth, FunnelStep, LeadTimes
from workflows.messages import N_


def period(start: date | None, end: date | None) -> Period:
    """The submission period asked for; 422 when it ends before it starts."""
    if start is not None and end is not None and end < start:
        raise Invalid(N_("the period ends before it starts"), loc=("query", "submitted_to"))
    return Period(start, end)


async def lead_times(session: AsyncSession, grouping: Grouping, wanted: Period) -> LeadTimes:
    """Median and p90 of each stage's closed stays, overall and per theme or town."""
    result = await compute.lead_times(session, grouping, wanted)
    return LeadTimes.model_validate({"group": grouping, **asdict(result)})


async def funnel(session: AsyncSession, wanted: Period, *, by_month: bool) -> Funnel:
    """How many pilots reached each milestone, and (if asked) per month of submission."""
    steps, months = await compute.funnel(session, wanted, by_month=by_month)
    return Funnel(
        steps=[FunnelStep.model_validate(asdict(step)) for step in steps],
        by_month=[
            FunnelMonth(
                month=month.month,
                steps=[FunnelStep.model_validate(asdict(step)) for step in month.steps],
            )
            for month in months
        ]
        if by_month
        else None,
    )
