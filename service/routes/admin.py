"""The programme team's overview: the funnel, and what waits on whom."""

from typing import Annotated

from fastapi import APIRouter, Query

from service.deps import AdminUser, SessionDep
from service.errors import error_responses
from service.schemas.pilots import Overview
from service.use_cases import overview as overview_use_case

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], responses=error_responses(401, 403))


Cursor = Annotated[str | None, Query(max_length=400)]


@router.get("/overview", responses=error_responses())
async def overview(
    *,
    session: SessionDep,
    _admin: AdminUser,
    limit: Annotated[int, Query(ge=1, le=overview_use_case.LIST_LIMIT)] = (
        overview_use_case.LIST_LIMIT
    ),
    overdue_cursor: Cursor = None,
    waiting_cursor: Cursor = None,
) -> Overview:
    """Counts by stage, theme and town; overdue deadlines first, then who waits longest.

    Each list holds at most `limit` pilots, the most urgent first; its `*_next_cursor`,
    passed back as `overdue_cursor` or `waiting_cursor`, asks for the next ones.
    """
    return await overview_use_case.overview(
        session, limit=limit, overdue_cursor=overdue_cursor, waiting_cursor=waiting_cursor
    )
