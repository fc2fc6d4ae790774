"""The custom search attributes a pilot is indexed by in Temporal."""

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

PILOT_STAGE = SearchAttributeKey.for_keyword("PilotStage")
PILOT_THEME = SearchAttributeKey.for_keyword("PilotTheme")
PILOT_TOWN = SearchAttributeKey.for_keyword("PilotTown")

ALL = (PILOT_STAGE, PILOT_THEME, PILOT_TOWN)


def initial(stage: str, theme: str, town_id: str) -> TypedSearchAttributes:
    """What a pilot's workflow starts with; the workflow keeps them current afterwards."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(PILOT_STAGE, stage),
            SearchAttributePair(PILOT_THEME, theme),
            SearchAttributePair(PILOT_TOWN, town_id),
        ]
    )
