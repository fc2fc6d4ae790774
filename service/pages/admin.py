"""The programme team's main pages: the funnel, what waits on whom, and every pilot."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from core.lead_times import Grouping
from core.pilot_repository import PilotFilters
from service.deps import SessionDep
from service.errors import Invalid
from service.pages.charts import duration
from service.pages.directory import Names, load_names
from service.pages.lead_times import funnel_charts, lead_time_charts
from service.pages.rendering import render
from service.pages.routing import page_router
from service.pages.session import PageAdmin
from service.schemas.pilots import Overview
from service.use_cases.overview import overview as overview_of
from service.use_cases.pilots import list_pilots
from service.use_cases.themes import list_themes
from service.use_cases.towns import list_towns
from workflows.stages import Stage

router = page_router(prefix="/admin")

Filter = Annotated[str, Query(max_length=200)]
PAGE_SIZE = 25
STAGES = frozenset(stage.value for stage in Stage)


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: what, how many, and the bar's length in percent."""

    label: str
    count: int
    percent: float


def bars(counts: dict[str, int], label_of: dict[str, str] | None = None) -> list[Bar]:
    """Rows for a chart of these counts, the longest bar 100%."""
    top = max(counts.values(), default=0) or 1
    names = label_of or {}
    return [Bar(names.get(key, key), count, 100 * count / top) for key, count in counts.items()]


def funnel(overview: Overview, names: Names) -> dict[str, list[Bar]]:
    """The three charts: stages in lifecycle order, themes and towns by name."""
    by_stage = {
        stage.value: overview.by_stage[stage] for stage in Stage if stage in overview.by_stage
    }
    return {
        "stage": bars(by_stage),
        "theme": bars(overview.by_theme, names.themes),
        "town": bars(overview.by_town, names.towns),
    }


@router.get("")
async def overview(
    *,
    request: Request,
    session: SessionDep,
    _admin: PageAdmin,
    group: Annotated[str, Query(max_length=20)] = Grouping.THEME.value,
) -> Response:
    """The funnel by stage, theme and town; lead times per stage by theme or town (`group`);
    overdue deadlines first, then who waits."""
    data = await overview_of(session)
    names = await load_names(session)
    grouping = Grouping.TOWN if group == Grouping.TOWN else Grouping.THEME
    context = {
        "overview": data,
        "funnel": funnel(data, names),
        "names": names,
        "now": datetime.now(UTC),
        "lead_times": await lead_time_charts(session, grouping, names),
        "conversion": await funnel_charts(session),
        "duration": duration,
    }
    return render(request, "admin/overview.html", context)


@router.get("/pilots")
async def pilots(
    *,
    request: Request,
    session: SessionDep,
    admin: PageAdmin,
    stage: Filter = "",
    theme: Filter = "",
    town_id: Filter = "",
    q: Filter = "",
    cursor: Filter = "",
) -> Response:
    """Every pilot, newest first, filtered and searched as GET /api/v1/pilots does."""
    wanted = PilotFilters(
        stage=stage if stage in STAGES else None,
        theme=theme or None,
        town_id=town_id or None,
        q=q.strip() or None,
    )
    try:
        page = await list_pilots(session, admin, wanted, limit=PAGE_SIZE, cursor=cursor or None)
    except Invalid:
        page = await list_pilots(session, admin, PilotFilters(), limit=PAGE_SIZE)
    filters = {"stage": stage, "theme": theme, "town_id": town_id, "q": q}
    context = {
        "page": page,
        "filters": filters,
        "names": await load_names(session),
        "stages": [(s.value, s.value) for s in Stage],
        "themes": [(theme.code, theme.name) for theme in await list_themes(session)],
        "towns": [(town.id, town.name) for town in await list_towns(session)],
        "now": datetime.now(UTC),
    }
    return render(request, "admin/pilots.html", context)
