"""Towns: the region's members, each with its officers and pilots."""

from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Town
from core.repositories import TownRepository
from service.errors import Conflict
from service.schemas.reference import TownCreate, TownPublic
from workflows.messages import N_


async def list_towns(session: AsyncSession) -> list[TownPublic]:
    """Every town, by name."""
    return [TownPublic.model_validate(town) for town in await TownRepository(session).all()]


async def create_town(session: AsyncSession, body: TownCreate) -> TownPublic:
    """Add a town; its name and code are unique (409 otherwise)."""
    towns = TownRepository(session)
    if await towns.by_name(body.name) is not None:
        raise Conflict(N_("a town with this name exists"))
    if body.code is not None and await towns.by_code(body.code) is not None:
        raise Conflict(N_("a town with this code exists"))
    town = await towns.add(Town(name=body.name, code=body.code))
    return TownPublic.model_validate(town)
