"""Read-model queries on pilots: who may see what, filters, search, cursor pages, counts."""

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache

from pydantic import TypeAdapter
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    Text,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    false,
    func,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, load_only

from core.models import AuditEvent, Candidate, Notification, Pilot, User
from workflows.contracts import PilotState
from workflows.stages import END_STAGES, Role, Stage

# Reads a state as core.pilot_state does, but from the JSON text itself.
_STATE = TypeAdapter(PilotState)
# How many decoded states a process keeps: the pilots read most (a busy town's first page,
# the pilots its officers open) are decoded once, not once per read (issue 10).
DECODED_STATES_KEPT = 4096


@lru_cache(maxsize=DECODED_STATES_KEPT)
def decode_state(document: str) -> PilotState:
    """The state stored as this JSON text, decoded once per process while it is read often.

    Keyed by the text itself, so a hit is exact whoever wrote the row and however. The state
    is shared by every reader of the same text: read it, never change it.
    """
    return _STATE.validate_json(document)


@dataclass(frozen=True, slots=True)
class StoredState:
    """A pilot's state as the read model holds it: the JSON text, and the state it decodes to."""

    document: str
    state: PilotState

    @classmethod
    def of(cls, document: str) -> "StoredState":
        return cls(document, decode_state(document))


class BadCursor(ValueError):
    """A cursor this service did not hand out."""


# Where an evaluation can be: it is submitted in the evaluation stage, kept by the decision
# (closed) and by a cancellation, and cleared by an extension (back to trial_running).
EVALUATED_STAGES = (Stage.EVALUATION, Stage.CLOSED, Stage.CANCELLED)


@dataclass(frozen=True)
class PilotFilters:
    stage: str | None = None
    theme: str | None = None
    town_id: str | None = None
    q: str | None = None
    # Only pilots whose state holds an evaluation (the KPI report); no query parameter sets it.
    evaluated: bool = False


def visible_to(user: User) -> ColumnElement[bool]:
    """The pilots this user may see: all, its town's and generalized ones, or its invitations."""
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.TOWN_OFFICER:
        offered = and_(Pilot.stage == Stage.CLOSED, Pilot.outcome == "generalize")
        return or_(Pilot.town_id == user.town_id, offered)
    if user.role == Role.COMPANY:
        invited = (Candidate.pilot_id == Pilot.id) & (Candidate.company_id == user.company_id)
        return exists().where(invited)
    return false()


_PILOT_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


def encode_cursor(pilot: Pilot) -> str:
    """The list's cursor after this pilot: its creation time and id."""
    return cursor_at(pilot.created_at, pilot.id)


def cursor_at(at: datetime, pilot_id: str) -> str:
    """A cursor naming a row by the time its list is ordered on, then its id."""
    raw = f"{at.isoformat()}|{pilot_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, pilot_id = raw.split("|", 1)
        at = datetime.fromisoformat(created_at)
        # A forged cursor must not reach the query: an id of our shape, an aware time.
        if at.tzinfo is None or not _PILOT_ID.fullmatch(pilot_id):
            raise ValueError("not a cursor this service made")
        return at.astimezone(UTC), pilot_id  # OverflowError past year 9999 in UTC
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError) as error:
        raise BadCursor("not a cursor from this list") from error


class PilotRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_visible(self, user: User, pilot_id: str) -> Pilot | None:
        return await self.session.scalar(
            select(Pilot).where(Pilot.id == pilot_id, visible_to(user))
        )

    async def visible_state(self, user: User, pilot_id: str) -> StoredState | None:
        """The state of a pilot this user may see, decoded straight from its JSON text."""
        query = _state_query(user.role, townless=user.town_id is None)
        params = {"pilot_id": pilot_id, "own_town": user.town_id, "own_company": user.company_id}
        document = await self.session.scalar(query, params)
        return None if document is None else StoredState.of(document)

    async def by_idempotency_key(self, user: User, key: str) -> Pilot | None:
        return await self.session.scalar(
            select(Pilot).where(Pilot.created_by == user.id, Pilot.idempotency_key == key)
        )

    async def delete_unstarted(self, pilot_id: str) -> None:
        """Take back a pilot whose workflow did not start (none has recorded a transition)."""
        await self.session.execute(delete(Pilot).where(Pilot.id == pilot_id, Pilot.version == 0))

    async def page(
        self, user: User, filters: PilotFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[StoredState], str | None]:
        """The states of a page of pilots, newest first; the cursor names its last row.

        The page's ids are picked first, from indexes only where they can be, and then only
        those rows' states are read, as the stored JSON text, decoded in one pass into the
        state (no ORM object, no intermediate dictionaries), or not at all if this process
        decoded the same text lately (decode_state).
        """
        params: dict[str, object] = {
            "own_town": user.town_id,
            "own_company": user.company_id,
            "stage": filters.stage,
            "theme": filters.theme,
            "town_id": filters.town_id,
            "pattern": "%" + _escape_like(filters.q.strip()) + "%" if filters.q else None,
            "page": limit + 1,
        }
        if cursor:
            params["after"], params["after_id"] = decode_cursor(cursor)
        shape = _PageShape(
            role=user.role,
            townless=user.town_id is None,
            stage=bool(filters.stage),
            theme=bool(filters.theme),
            town_id=bool(filters.town_id),
            q=bool(filters.q),
            evaluated=filters.evaluated,
            cursor=bool(cursor),
            dialect=self.session.get_bind().dialect.name,
        )
        query = _page_query(shape)
        rows = (await self.session.execute(query, params)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        states = [StoredState.of(document) for _, _, document in rows]
        return states, (cursor_at(rows[-1][1], rows[-1][0]) if more and rows else None)

    async def audit_trail(self, pilot_id: str) -> list[AuditEvent]:
        rows = await self.session.scalars(
            select(AuditEvent).where(AuditEvent.pilot_id == pilot_id).order_by(AuditEvent.seq)
        )
        return list(rows)

    async def notifications(self, pilot_id: str) -> list[Notification]:
        rows = await self.session.scalars(
            select(Notification)
            .where(Notification.pilot_id == pilot_id)
            .order_by(Notification.created_at, Notification.to_address)
        )
        return list(rows)

    async def counts_by(self, column: str) -> dict[str, int]:
        attribute = getattr(Pilot, column)
        rows = await self.session.execute(
            select(attribute, func.count()).group_by(attribute).order_by(attribute)
        )
        return {str(key): int(count) for key, count in rows}

    async def overdue(
        self, now: datetime, *, limit: int, cursor: str | None
    ) -> tuple[list[Pilot], str | None]:
        """Open pilots whose next deadline has passed, the most overdue first, a page at a time."""
        query = self._open().where(Pilot.deadline < now)
        return await self._oldest_first(query, Pilot.deadline, limit=limit, cursor=cursor)

    async def waiting(self, *, limit: int, cursor: str | None) -> tuple[list[Pilot], str | None]:
        """Open pilots waiting on someone, the longest-waiting first, a page at a time."""
        query = self._open().where(Pilot.waiting_on.is_not(None))
        return await self._oldest_first(query, Pilot.updated_at, limit=limit, cursor=cursor)

    async def _oldest_first(
        self,
        query: Select[Pilot],
        at: InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None],
        *,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Pilot], str | None]:
        """Ordered by `at`, then id; the cursor names the last row of the previous page."""
        if cursor:
            after, pilot_id = decode_cursor(cursor)
            query = query.where(at >= after, or_(at > after, Pilot.id > pilot_id))
        rows = list(await self.session.scalars(query.order_by(at, Pilot.id).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        last = rows[-1] if more and rows else None
        when = getattr(last, at.key) if last is not None else None
        return rows, (cursor_at(when, last.id) if last is not None and when else None)

    @staticmethod
    def _open() -> Select[Pilot]:
        # The overview shows a few columns: the state document stays in the database.
        summary = load_only(
            Pilot.id, Pilot.title, Pilot.town_id, Pilot.stage, Pilot.deadline,
            Pilot.waiting_on, Pilot.updated_at,
        )  # fmt: skip
        open_stages = [str(s) for s in END_STAGES]
        return select(Pilot).options(summary).where(Pilot.stage.not_in(open_stages))


@dataclass(frozen=True)
class _PageShape:
    """What a list's statement depends on; the values go in as parameters."""

    role: str
    townless: bool
    stage: bool
    theme: bool
    town_id: bool
    q: bool
    evaluated: bool
    cursor: bool
    dialect: str


@cache
def _page_query(shape: _PageShape) -> Select[str, datetime, str]:
    """A page's statement, built once per shape: building one cost more than running it.

    The page's ids are picked first, from indexes only where they can be; then only those
    rows' states are read, as their JSON text.
    """
    conditions = _filters(shape)
    newest = (Pilot.created_at.desc(), Pilot.id.desc())
    page = bindparam("page", type_=Integer)
    # Each visibility branch walks its own index in list order and stops at a page; the
    # page is the newest of their pages. (An OR made the database read every visible row
    # and sort them: 2,100 of them for a town officer with 10,000 pilots.)
    branches = [
        select(Pilot.id, Pilot.created_at).where(branch, *conditions).order_by(*newest).limit(page)
        for branch in _visibility_branches(shape.role, townless=shape.townless)
    ]
    if len(branches) == 1:
        picked = branches[0].subquery("picked")
    else:
        picked = union_all(*(select(b.subquery()) for b in branches)).subquery("picked")
    return (
        select(Pilot.id, Pilot.created_at, cast(Pilot.state, Text))
        .join(picked, Pilot.id == picked.c.id)
        .order_by(*newest)
        .limit(page)
    )


@cache
def _state_query(role: str, *, townless: bool) -> Select[str]:
    """One pilot's state as JSON text, if the user may see it; built once per role."""
    visible = or_(*_visibility_branches(role, townless=townless))
    return select(cast(Pilot.state, Text)).where(
        Pilot.id == bindparam("pilot_id", type_=String), visible
    )


def _visibility_branches(role: str, *, townless: bool) -> list[ColumnElement[bool]]:
    """visible_to() as disjoint conditions, each one an index can walk in list order.

    The user's town and company are the parameters `own_town` and `own_company`.
    """
    if role == Role.TOWN_OFFICER:
        # A townless officer's `town_id IS NULL` matches nothing, as visible_to's does.
        town = None if townless else bindparam("own_town", type_=String)
        offered = and_(Pilot.stage == Stage.CLOSED, Pilot.outcome == "generalize")
        # Disjoint, so a pilot of the town that was generalized is listed once.
        return [Pilot.town_id == town, and_(offered, Pilot.town_id != town)]
    if role == Role.ADMIN:
        return [true()]
    if role == Role.COMPANY:
        own = bindparam("own_company", type_=String)
        return [exists().where(Candidate.pilot_id == Pilot.id, Candidate.company_id == own)]
    return [false()]


def _filters(shape: _PageShape) -> list[ColumnElement[bool]]:
    """The list's filters and cursor, as conditions on pilots."""
    conditions: list[ColumnElement[bool]] = []
    if shape.stage:
        conditions.append(Pilot.stage == bindparam("stage", type_=String))
    if shape.theme:
        conditions.append(Pilot.theme == bindparam("theme", type_=String))
    if shape.town_id:
        conditions.append(Pilot.town_id == bindparam("town_id", type_=String))
    if shape.q:
        pattern = bindparam("pattern", type_=String)
        if shape.dialect == "sqlite":
            # SQLite's LIKE ignores ASCII case, and only it, as its lower() folds: the same
            # rows as ILIKE's lower(title) LIKE lower(pattern), for a quarter less of its time.
            found = or_(
                Pilot.title.like(pattern, escape="\\"), Pilot.summary.like(pattern, escape="\\")
            )
        else:  # PostgreSQL's ILIKE is what its trigram indexes serve
            found = or_(
                Pilot.title.ilike(pattern, escape="\\"), Pilot.summary.ilike(pattern, escape="\\")
            )
        conditions.append(found)
    if shape.evaluated:
        # The stage walks an index; the state's evaluation is then read only on those rows
        # (->> on PostgreSQL, JSON_EXTRACT on SQLite: both NULL for a JSON null).
        conditions += [
            Pilot.stage.in_([str(stage) for stage in EVALUATED_STAGES]),
            Pilot.state["evaluation"].as_string().is_not(None),
        ]
    if shape.cursor:
        after = bindparam("after", type_=Pilot.created_at.type)
        # The first bound alone lets the database walk the (created_at, id) index.
        conditions += [
            Pilot.created_at <= after,
            or_(Pilot.created_at < after, Pilot.id < bindparam("after_id", type_=String)),
        ]
    return conditions


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
