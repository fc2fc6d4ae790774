"""The programme team's overview: the funnel, and what waits on whom."""

from datetime import UTC, datetime

from fastapi import APIRouter

from core.pilot_repository import PilotRepository
from service.deps import AdminUser, SessionDep
from service.errors import error_responses
from service.schemas.pilots import OverdueItem, Overview, WaitingItem

# The overview is a page to read: its lists stop at the most urgent ones.
LIST_LIMIT = 200

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], responses=error_responses(401, 403))


@router.get("/overview")
async def overview(*, session: SessionDep, _admin: AdminUser) -> Overview:
    """Counts by stage, theme and town; overdue deadlines first, then who waits longest.

    Each list holds at most 200 pilots, the most urgent first.
    """
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
