"""The programme team's lead times per stage and conversion funnel."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from core.lead_times import Grouping
from service.deps import AdminUser, SessionDep
from service.errors import error_responses
from service.schemas.lead_times import Funnel, LeadTimes
from service.use_cases import lead_times as use_case

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], responses=error_responses(401, 403))

SubmittedFrom = Annotated[
    date | None, Query(description="Only pilots submitted on or after this day (UTC)")
]
SubmittedTo = Annotated[
    date | None, Query(description="Only pilots submitted on or before this day (UTC)")
]


@router.get("/lead-times", responses=error_responses())
async def lead_times(
    *,
    session: SessionDep,
    _admin: AdminUser,
    group: Grouping = Grouping.THEME,
    submitted_from: SubmittedFrom = None,
    submitted_to: SubmittedTo = None,
) -> LeadTimes:
    """Median and 90th percentile of the time pilots spent in each stage, overall and per
    theme or town, from the audit trail; stays not yet ended are counted as `open`."""
    wanted = use_case.period(submitted_from, submitted_to)
    return await use_case.lead_times(session, group, wanted)


@router.get("/funnel", responses=error_responses())
async def funnel(
    *,
    session: SessionDep,
    _admin: AdminUser,
    by: Literal["month"] | None = None,
    submitted_from: SubmittedFrom = None,
    submitted_to: SubmittedTo = None,
) -> Funnel:
    """How many pilots reached each milestone from submitted to replicated, and the
    conversion between them; with `by=month`, the same per month of submission."""
    wanted = use_case.period(submitted_from, submitted_to)
    return await use_case.funnel(session, wanted, by_month=by == "month")
