"""The programme team's overview: the funnel, and what waits on whom."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.pilot_repository import BadCursor, PilotRepository
from service.errors import Invalid
from service.schemas.pilots import OverdueItem, Overview, WaitingItem

# The overview is a page to read: its lists come a page of the most urgent at a time.
LIST_LIMIT = 200


async def overview(
    session: AsyncSession,
    *,
    limit: int = LIST_LIMIT,
    overdue_cursor: str | None = None,
    waiting_cursor: str | None = None,
) -> Overview:
    """Counts by stage, theme and town; overdue deadlines first, then who waits longest.

    Each list is paged on its own cursor (422 for a bad one).
    """
    repository = PilotRepository(session)
    now = datetime.now(UTC)
    try:
        overdue, overdue_next = await repository.overdue(now, limit=limit, cursor=overdue_cursor)
    except BadCursor as error:
        raise Invalid(str(error), loc=("query", "overdue_cursor")) from error
    try:
        waiting, waiting_next = await repository.waiting(limit=limit, cursor=waiting_cursor)
    except BadCursor as error:
        raise Invalid(str(error), loc=("query", "waiting_cursor")) from error
    return Overview(
        by_stage=await repository.counts_by("stage"),
        by_theme=await repository.counts_by("theme"),
        by_town=await repository.counts_by("town_id"),
        overdue=[
            OverdueItem(
                pilot_id=p.id,
                title=p.title,
                town_id=p.town_id,
                stage=p.stage,
                deadline=p.deadline,
                waiting_on=p.waiting_on,
                overdue_seconds=(now - p.deadline).total_seconds(),
            )
            for p in overdue
            if p.deadline is not None
        ],
        overdue_next_cursor=overdue_next,
        waiting=[
            WaitingItem(
                pilot_id=p.id,
                title=p.title,
                stage=p.stage,
                waiting_on=p.waiting_on,
                deadline=p.deadline,
                since=p.updated_at,
            )
            for p in waiting
        ],
        waiting_next_cursor=waiting_next,
    )
