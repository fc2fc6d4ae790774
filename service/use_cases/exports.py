"""Exports: the pilots as the list reads them, one pilot's audit record, the KPI results.

The lists are streamed: the read model is read in keyset pages of `CHUNK` pilots, each in a
short transaction of its own (none is held while a chunk is written out), and each chunk is
written out before the next is read, so 10,000 pilots are never all in memory. The first
chunk is read in the request's own session, so a database that is down gives a 503 before
any byte is sent.
"""

from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import transaction
from core.disclosure import view_pilot
from core.exports import csv_lines, csv_rows, json_items
from core.models import Town, User
from core.pilot_repository import PilotFilters, PilotRepository
from core.pilot_state import kpi_results
from core.settings import Settings
from service.pilots import to_public, viewer_of, visible_state
from service.schemas.exports import (
    KPI_RESULT_COLUMNS,
    PILOT_COLUMNS,
    AuditExport,
    ExportFormat,
    KpiResultRow,
)
from service.schemas.pilots import PilotPublic
from service.temporal import TemporalConnector
from service.use_cases import pilot_history
from workflows.contracts import PilotState
from workflows.stages import Role

# Pilots read per query: a chunk's states and their text stay well under a few megabytes.
CHUNK = 500

MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.JSON: "application/json",
}


@dataclass(frozen=True)
class Export:
    """A download: its media type, its file name, and its text as it comes."""

    media_type: str
    filename: str
    body: AsyncIterator[str]


async def _states(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    user: User,
    filters: PilotFilters,
    chunk: int,
) -> AsyncIterator[list[PilotState]]:
    """The states of the pilots this user may see, newest first, one keyset page at a time.

    The first page is read now, in `session`; the others as they are asked for, each in a
    transaction that ends before the page is handed on.
    """
    page, cursor = await PilotRepository(session).page(user, filters, limit=chunk, cursor=None)

    async def pages() -> AsyncIterator[list[PilotState]]:
        nonlocal page, cursor
        yield [stored.state for stored in page]
        while cursor is not None:
            async with transaction(sessions) as later:
                page, cursor = await PilotRepository(later).page(
                    user, filters, limit=chunk, cursor=cursor
                )
            yield [stored.state for stored in page]

    return pages()


async def _written(
    pages: AsyncIterator[list[BaseModel]], fmt: ExportFormat, columns: tuple[str, ...]
) -> AsyncIterator[str]:
    """Each page of documents as CSV lines under a header, or as items of one JSON array."""
    yield csv_lines([columns]) if fmt == ExportFormat.CSV else "["
    first = True
    async for page in pages:
        if fmt == ExportFormat.CSV:
            yield csv_rows((item.model_dump(mode="json") for item in page), columns)
        else:
            text = json_items((item.model_dump_json() for item in page), first=first)
            first = first and not text
            yield text
    if fmt == ExportFormat.JSON:
        yield "]"


def _filename(stem: str, fmt: ExportFormat) -> str:
    return f"{stem}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.{fmt.value}"


async def export_pilots(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    user: User,
    filters: PilotFilters,
    fmt: ExportFormat,
    *,
    chunk: int | None = None,
) -> Export:
    """The pilots the list would show this user with these filters, all of them, streamed.

    Each is the Pilot body GET /api/v1/pilots/{id} answers this user (core.disclosure).
    """
    pages = await _states(session, sessions, user, filters, chunk or CHUNK)
    bodies = _mapped(pages, lambda states: [to_public(state, user) for state in states])
    return Export(MEDIA_TYPES[fmt], _filename("pilots", fmt), _written(bodies, fmt, PILOT_COLUMNS))


async def _mapped(
    pages: AsyncIterator[list[PilotState]],
    convert: Callable[[list[PilotState]], Iterable[BaseModel]],
) -> AsyncIterator[list[BaseModel]]:
    async for states in pages:
        yield list(convert(states))


async def export_kpi_results(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    user: User,
    fmt: ExportFormat,
    *,
    chunk: int | None = None,
) -> Export:
    """One row per KPI of each evaluated pilot: all of them for an admin, a town's for its
    officers (the route lets no one else in).
    """
    own_town = None if user.role == Role.ADMIN else user.town_id
    towns = {town_id: name for town_id, name in await session.execute(select(Town.id, Town.name))}
    if user.role != Role.ADMIN and own_town is None:
        pages = _nothing()  # an officer without a town has no town's results: none is read
    else:
        # Only the evaluated pilots are read: the others have no row in this report.
        filters = PilotFilters(town_id=own_town, evaluated=True)
        pages = await _states(session, sessions, user, filters, chunk or CHUNK)

    def rows(states: list[PilotState]) -> Iterable[KpiResultRow]:
        for state in states:
            if user.role != Role.ADMIN and state.town_id != own_town:
                continue  # a generalized pilot of another town: not this officer's report
            yield from kpi_rows(view_pilot(state, viewer_of(user)).state, towns)

    body = _written(_mapped(pages, rows), fmt, KPI_RESULT_COLUMNS)
    return Export(MEDIA_TYPES[fmt], _filename("kpi-results", fmt), body)


async def _nothing() -> AsyncIterator[list[PilotState]]:
    return
    yield  # an async generator that yields nothing


def kpi_rows(state: PilotState, towns: dict[str, str]) -> list[KpiResultRow]:
    """The pilot's KPIs against its evaluation's results, or nothing if it has no evaluation."""
    evaluation = state.evaluation
    if evaluation is None:
        return []
    return [
        KpiResultRow(
            pilot_id=state.pilot_id,
            title=state.proposal.title,
            town_id=state.town_id,
            town=towns.get(state.town_id, ""),
            theme=state.proposal.theme,
            stage=state.stage,
            kpi=row.name,
            unit=row.unit,
            baseline=row.baseline,
            target=row.target,
            result=row.result,
            met=row.met,
            satisfaction=evaluation.satisfaction,
            recommendation=evaluation.recommendation,
            outcome=state.outcome,
        )
        for row in kpi_results(state)
    ]


async def audit_export(
    session: AsyncSession,
    connector: TemporalConnector,
    settings: Settings,
    user: User,
    pilot_id: str,
) -> AuditExport:
    """The pilot, its audit trail, and for an admin its Temporal history and its email.

    Each part is what its own endpoint answers this user; 404 if the pilot is hidden, 503 if
    an admin's Temporal history cannot be read now.
    """
    # The pilot's row is read, and its visibility checked, once: each part takes the state.
    state = (await visible_state(session, user, pilot_id)).state
    events = await pilot_history.events_of(session, user, state)
    history = notifications = None
    if user.role == Role.ADMIN:
        sent = await pilot_history.notifications_of(session, pilot_id)
        notifications = [pilot_history.notification_public(n) for n in sent]
        client = await connector.get()  # last: the database is read before Temporal is asked
        history = await pilot_history.workflow_history_of(client, settings, pilot_id)
    return AuditExport(
        pilot=to_public(state, user),
        events=events,
        workflow_history=history,
        notifications=notifications,
        exported_at=datetime.now(UTC),
    )


def audit_filename(pilot: PilotPublic) -> str:
    return f"pilot-{pilot.id}-audit.json"
