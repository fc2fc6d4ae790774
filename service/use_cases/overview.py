"""The programme team's overview: the funnel, and what waits on whom."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.pilot_repository import PilotRepository
from service.schemas.pilots import OverdueItem, Overview, WaitingItem

# The overview is a page to read: its lists stop at the most urgent ones.
LIST_LIMIT = 200


async def overview(session: AsyncSession) -> Overview:
    """Counts by stage, theme and town; overdue deadlines first, then who waits longest."""
    repository = PilotRepository(session)
    now = datetime.now(UTC)
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
            for p in await repository.overdue(now, LIST_LIMIT)
            if p.deadline is not None
        ],
        waiting=[
            WaitingItem(
                pilot_id=p.id,
                title=p.title,
                stage=p.stage,
                waiting_on=p.waiting_on,
                deadline=p.deadline,
                since=p.updated_at,
            )
            for p in await repository.waiting(LIST_LIMIT)
        ],
    )
