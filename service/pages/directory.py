"""Names for ids: towns, themes, companies and users, as the pages show them."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import User
from service.use_cases.themes import list_themes
from service.use_cases.towns import list_towns


@dataclass(frozen=True)
class Names:
    towns: dict[str, str]
    themes: dict[str, str]

    def town(self, town_id: str | None) -> str:
        return self.towns.get(town_id or "", town_id or "")

    def theme(self, code: str) -> str:
        return self.themes.get(code, code)


async def load_names(session: AsyncSession) -> Names:
    """Every town's and theme's name: a region has tens of each, not thousands."""
    towns = {town.id: town.name for town in await list_towns(session)}
    themes = {theme.code: theme.name for theme in await list_themes(session)}
    return Names(towns, themes)


async def user_names(session: AsyncSession, user_ids: Iterable[str]) -> dict[str, str]:
    """Each user's name, or email if unnamed."""
    wanted = {user_id for user_id in user_ids if user_id}
    if not wanted:
        return {}
    rows = await session.scalars(select(User).where(User.id.in_(wanted)))
    return {user.id: user.name or user.email for user in rows}
