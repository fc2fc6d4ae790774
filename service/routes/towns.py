"""Towns: the region's members, each with its officers and pilots."""

from fastapi import APIRouter, status

from service.deps import AdminUser, CurrentUser, SessionDep
from service.errors import error_responses
from service.schemas.reference import TownCreate, TownPublic
from service.use_cases import towns

router = APIRouter(prefix="/api/v1/towns", tags=["towns"], responses=error_responses(401))


@router.get("")
async def list_towns(*, session: SessionDep, _user: CurrentUser) -> list[TownPublic]:
    """Every town, by name."""
    return await towns.list_towns(session)


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 409))
async def create_town(*, body: TownCreate, session: SessionDep, _admin: AdminUser) -> TownPublic:
    """Add a town (admin); its name and code are unique."""
    return await towns.create_town(session, body)
