"""Themes: data that admins manage, which pilots and companies refer to by code."""

from fastapi import APIRouter, status

from core.models import Theme
from core.repositories import ThemeRepository
from service.deps import AdminUser, CurrentUser, SessionDep
from service.errors import Conflict, NotFound, error_responses
from service.schemas.common import ThemeCodePath
from service.schemas.reference import ThemeCreate, ThemePublic, ThemeUpdate

router = APIRouter(prefix="/api/v1/themes", tags=["themes"], responses=error_responses(401))


@router.get("")
async def list_themes(*, session: SessionDep, _user: CurrentUser) -> list[ThemePublic]:
    """Every theme."""
    return [ThemePublic.model_validate(theme) for theme in await ThemeRepository(session).all()]


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 409))
async def create_theme(*, body: ThemeCreate, session: SessionDep, _admin: AdminUser) -> ThemePublic:
    """Add a theme (admin); its code is unique."""
    themes = ThemeRepository(session)
    if await themes.get(body.code) is not None:
        raise Conflict("a theme with this code exists")
    theme = await themes.add(Theme(**body.model_dump()))
    return ThemePublic.model_validate(theme)


@router.patch("/{code}", responses=error_responses(403, 404))
async def update_theme(
    *, code: ThemeCodePath, body: ThemeUpdate, session: SessionDep, _admin: AdminUser
) -> ThemePublic:
    """Rename or redescribe a theme (admin); its code stays."""
    themes = ThemeRepository(session)
    theme = await themes.get(code)
    if theme is None:
        raise NotFound("no such theme")
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(theme, field, value)
    await themes.flush()
    return ThemePublic.model_validate(theme)
