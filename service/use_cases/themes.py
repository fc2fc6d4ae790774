"""Themes: data that admins manage, which pilots and companies refer to by code."""

from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Theme
from core.repositories import ThemeRepository
from service.errors import Conflict, NotFound
from service.schemas.reference import ThemeCreate, ThemePublic, ThemeUpdate
from workflows.messages import N_


async def list_themes(session: AsyncSession) -> list[ThemePublic]:
    """Every theme."""
    return [ThemePublic.model_validate(theme) for theme in await ThemeRepository(session).all()]


async def create_theme(session: AsyncSession, body: ThemeCreate) -> ThemePublic:
    """Add a theme; its code is unique (409 otherwise)."""
    themes = ThemeRepository(session)
    if await themes.get(body.code) is not None:
        raise Conflict(N_("a theme with this code exists"))
    theme = await themes.add(Theme(**body.model_dump()))
    return ThemePublic.model_validate(theme)


async def update_theme(session: AsyncSession, code: str, body: ThemeUpdate) -> ThemePublic:
    """Rename or redescribe a theme; its code stays."""
    themes = ThemeRepository(session)
    theme = await themes.get(code)
    if theme is None:
        raise NotFound(N_("no such theme"))
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(theme, field, value)
    await themes.flush()
    return ThemePublic.model_validate(theme)
