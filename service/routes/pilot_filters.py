"""The pilot list's filters as one dependency: the list and its exports take exactly the same."""

from typing import Annotated

from fastapi import Depends, Query

from core.pilot_repository import PilotFilters
from service.schemas.common import ThemeCode
from workflows.stages import Stage


def pilot_filters(
    *,
    stage: Stage | None = None,
    theme: ThemeCode | None = None,
    town_id: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Words in title or summary")] = None,
) -> PilotFilters:
    """`stage`, `theme`, `town_id` and `q`, each optional; all of them narrow the list."""
    return PilotFilters(stage=stage, theme=theme, town_id=town_id, q=q)


ListFilters = Annotated[PilotFilters, Depends(pilot_filters)]
