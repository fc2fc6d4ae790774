"""Towns: the region's members, each with its officers and pilots."""

from fastapi import APIRouter, status

from core.models import Town
from core.repositories import TownRepository
from service.deps import AdminUser, CurrentUser, SessionDep
from service.errors import Conflict, error_responses
from service.schemas.reference import TownCreate, TownPublic

router = APIRouter(prefix="/api/v1/towns", tags=["towns"], responses=error_responses(401))


@router.get("")
async def list_towns(*, session: SessionDep, _user: CurrentUser) -> list[TownPublic]:
    """Every town, by name."""
    return [TownPublic.model_validate(town) for town in await TownRepository(session).all()]


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 409))
async def create_town(*, body: TownCreate, session: SessionDep, _admin: AdminUser) -> TownPublic:
    """Add a town (admin); its name and code are unique."""
    towns = TownRepository(session)
    if await towns.by_name(body.name) is not None:
        raise Conflict("a town with this name exists")
    if body.code is not None and await towns.by_code(body.code) is not None:
        raise Conflict("a town with this code exists")
    town = await towns.add(Town(name=body.name, code=body.code))
    return TownPublic.model_validate(town)
