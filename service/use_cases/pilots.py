"""Pilots: submit one, list them, read one. Reads come from the read model."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from core.models import User
from core.pilot_repository import BadCursor, PilotFilters, PilotRepository, StoredState
from core.settings import Settings
from service.errors import Invalid
from service.pilot_json import page_json, pilot_json
from service.pilots import create_pilot, pilot_state, proposal_from, to_public, visible_state
from service.schemas.pilots import PilotCreate, PilotPage, PilotPublic


async def submit_pilot(
    sessions: async_sessionmaker[AsyncSession],
    client: Client,
    settings: Settings,
    officer: User,
    body: PilotCreate,
    idempotency_key: str | None = None,
) -> PilotPublic:
    """Submit a pilot for the officer's town: stage `submitted`; a repeated key, the same one."""
    assert officer.town_id is not None  # a town officer always has a town
    proposal = proposal_from(body, officer.town_id)
    pilot = await create_pilot(
        sessions, client, settings, officer, proposal, idempotency_key=idempotency_key
    )
    return to_public(pilot_state(pilot), officer)


async def list_pilots(
    session: AsyncSession,
    user: User,
    filters: PilotFilters,
    *,
    limit: int,
    cursor: str | None = None,
) -> PilotPage:
    """The pilots this user may see, newest first, a page at a time (422 for a bad cursor)."""
    page, next_cursor = await _page(session, user, filters, limit=limit, cursor=cursor)
    return PilotPage(items=[to_public(s.state, user) for s in page], next_cursor=next_cursor)


async def list_pilots_json(
    session: AsyncSession,
    user: User,
    filters: PilotFilters,
    *,
    limit: int,
    cursor: str | None = None,
) -> bytes:
    """list_pilots's page as the JSON API writes it, from answers made once (service.pilot_json)."""
    page, next_cursor = await _page(session, user, filters, limit=limit, cursor=cursor)
    return page_json(page, next_cursor, user)


async def read_pilot(session: AsyncSession, user: User, pilot_id: str) -> PilotPublic:
    """One pilot as this user may read it, with what they may do now; 404 if hidden."""
    return to_public((await visible_state(session, user, pilot_id)).state, user)


async def read_pilot_json(session: AsyncSession, user: User, pilot_id: str) -> bytes:
    """read_pilot's answer as the JSON API writes it."""
    return pilot_json(await visible_state(session, user, pilot_id), user)


async def _page(
    session: AsyncSession, user: User, filters: PilotFilters, *, limit: int, cursor: str | None
) -> tuple[list[StoredState], str | None]:
    try:
        return await PilotRepository(session).page(user, filters, limit=limit, cursor=cursor)
    except BadCursor as error:
        raise Invalid(str(error), loc=("query", "cursor")) from error
