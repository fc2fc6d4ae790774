"""The programme team's overview: the funnel, and what waits on whom."""

from fastapi import APIRouter

from service.deps import AdminUser, SessionDep
from service.errors import error_responses
from service.schemas.pilots import Overview
from service.use_cases import overview as overview_use_case

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], responses=error_responses(401, 403))


@router.get("/overview")
async def overview(*, session: SessionDep, _admin: AdminUser) -> Overview:
    """Counts by stage, theme and town; overdue deadlines first, then who waits longest.

    Each list holds at most 200 pilots, the most urgent first.
    """
    return await overview_use_case.overview(session)
