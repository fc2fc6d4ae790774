"""Themes: data that admins manage, which pilots and companies refer to by code."""

from fastapi import APIRouter, status

from service.deps import AdminUser, CurrentUser, SessionDep
from service.errors import error_responses
from service.schemas.common import ThemeCodePath
from service.schemas.reference import ThemeCreate, ThemePublic, ThemeUpdate
from service.use_cases import themes

router = APIRouter(prefix="/api/v1/themes", tags=["themes"], responses=error_responses(401))


@router.get("")
async def list_themes(*, session: SessionDep, _user: CurrentUser) -> list[ThemePublic]:
    """Every theme."""
    return await themes.list_themes(session)


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 409))
async def create_theme(*, body: ThemeCreate, session: SessionDep, _admin: AdminUser) -> ThemePublic:
    """Add a theme (admin); its code is unique."""
    return await themes.create_theme(session, body)


@router.patch("/{code}", responses=error_responses(403, 404))
async def update_theme(
    *, code: ThemeCodePath, body: ThemeUpdate, session: SessionDep, _admin: AdminUser
) -> ThemePublic:
    """Rename or redescribe a theme (admin); its code stays."""
    return await themes.update_theme(session, code, body)
