"""Onboarding in bulk: towns, officers, companies and company users from one CSV file.

A dry run reads the region and says what an import would do. A real import is all or
nothing: the plan is made again inside the one transaction that writes it, any problem
rolls everything back (422 listing each problem by line), and only after the commit does
each user of the file who has no password yet get the invitation email (the same durable
email as POST /api/v1/users; asking again while the link lives starts nothing new). So
importing the same file again creates nothing and asks again for the invitations that a
Temporal outage right after the commit left unasked.
"""

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from core import onboarding
from core.account_links import LinkPurpose
from core.db import transaction
from core.models import Company, Theme, Town, User, new_id
from core.onboarding import (
    ExistingCompany,
    ExistingTown,
    ExistingUser,
    FileRefused,
    NewCompany,
    NewTown,
    NewUser,
    ParsedFile,
    Plan,
    Ref,
    Region,
)
from core.security import has_usable_password, unusable_password_hash
from core.settings import Settings
from service.errors import (
    ContentTooLarge,
    Invalid,
    InvalidLines,
    Unavailable,
    domain_error_of,
)
from service.temporal import TemporalConnector
from service.use_cases.accounts import send_account_email
from workflows.messages import N_

logger = logging.getLogger(__name__)

INVITATIONS_AT_ONCE = 8  # workflow starts in flight at once after an import
EMAILS_PER_QUERY = 500  # bound on the parameters of one `IN (...)`
NOT_INVITED = N_(
    "the file was imported, but the invitations could not be asked for (%(reason)s): "
    "import the same file again to send them"
)


@dataclass(frozen=True)
class ImportOutcome:
    plan: Plan
    applied: bool


class ImportRefused(InvalidLines):
    """A real import with problems: nothing changed; `plan` holds the report."""

    def __init__(self, plan: Plan) -> None:
        super().__init__(
            [
                (("body", line, problem.column or "line"), problem.type, problem.message)
                for line, problem in plan.problems
            ]
        )
        self.plan = plan


class InvitationsNotAsked(Unavailable):
    """The import was committed, the invitations could not be asked: import again."""

    def __init__(self, plan: Plan, reason: str) -> None:
        super().__init__(NOT_INVITED, retry_after=5, reason=reason)
        self.plan = plan


def read_file(content: bytes) -> ParsedFile:
    """The file's rows; 413 over the size limit, 422 for a file that cannot be read."""
    try:
        return onboarding.parse(content)
    except FileRefused as refused:
        if refused.too_large:
            raise ContentTooLarge(refused.template, retry_after=None, **refused.values) from None
        raise Invalid(refused.template, loc=("body",), **refused.values) from None


async def import_file(
    *,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    temporal: TemporalConnector,
    content: bytes,
    apply: bool,
) -> ImportOutcome:
    """Check the file against the region (dry run), or import it for real (`apply`)."""
    parsed = read_file(content)
    async with transaction(sessions) as db:
        region, _ = await load_region(db, parsed)
    checked = onboarding.plan(parsed, region)
    if not apply:
        return ImportOutcome(checked, applied=False)
    if checked.problems:
        raise ImportRefused(checked)
    # Connected first: with Temporal down, nothing is written (503) rather than users
    # created whose invitations wait for the next import.
    client = await temporal.get() if any(line.invitation for line in checked.lines) else None
    async with transaction(sessions) as db:
        # Planned again in the transaction that writes: the region may have changed since.
        region, users = await load_region(db, parsed)
        final = onboarding.plan(parsed, region)
        if final.problems:
            raise ImportRefused(final)
        created = await write(db, final)
    invited = created + [users[user.email] for user in final.invited_again]
    if invited:
        await _invite(client or await temporal.get(), settings, invited, final)
    return ImportOutcome(final, applied=True)


async def load_region(db: AsyncSession, parsed: ParsedFile) -> tuple[Region, dict[str, User]]:
    """The towns, companies and themes, and the users the file names by email."""
    towns = (await db.execute(select(Town.id, Town.name, Town.code))).all()
    companies = (await db.execute(select(Company.id, Company.name))).all()
    themes = (await db.execute(select(Theme.code))).scalars().all()
    users: dict[str, User] = {}
    emails = user_emails(parsed)
    for start in range(0, len(emails), EMAILS_PER_QUERY):
        chunk = emails[start : start + EMAILS_PER_QUERY]
        for user in (await db.execute(select(User).where(User.email.in_(chunk)))).scalars():
            users[user.email] = user
    region = Region(
        towns=tuple(ExistingTown(row.id, row.name, row.code) for row in towns),
        companies=tuple(ExistingCompany(row.id, row.name) for row in companies),
        themes=frozenset(themes),
        users={email: _existing(user) for email, user in users.items()},
    )
    return region, users


def user_emails(parsed: ParsedFile) -> list[str]:
    """The well-formed addresses of the file's rows (only those are ever sent to a query)."""
    found = (row.cells.get("email", "").strip().lower() for row in parsed.rows)
    return sorted({email for email in found if onboarding.is_email(email)})


def _existing(user: User) -> ExistingUser:
    invitable = user.active and not has_usable_password(user.password_hash)
    return ExistingUser(user.id, user.email, user.role, user.town_id, user.company_id, invitable)


async def write(db: AsyncSession, plan: Plan) -> list[User]:
    """Create the plan's towns, then companies, then users; the new users."""
    ids: dict[int, str] = {}

    def id_of(ref: Ref) -> str:
        return ref.id if ref.id is not None else ids[ref.line or 0]

    creations = plan.creations
    for town in _only(creations, NewTown):
        ids[town.line] = new_id()
        db.add(Town(id=ids[town.line], name=town.name, code=town.code))
    await db.flush()
    for company in _only(creations, NewCompany):
        ids[company.line] = new_id()
        db.add(
            Company(
                id=ids[company.line],
                name=company.name,
                contact_email=company.contact_email,
                themes=list(company.themes),
                tags=list(company.tags),
                areas=list(dict.fromkeys(id_of(area) for area in company.areas)),
                locale=company.locale,
                description=company.description,
            )
        )
    await db.flush()
    users = [
        User(
            id=new_id(),
            email=user.email,
            name=user.name,
            role=user.role,
            town_id=id_of(user.town) if user.town else None,
            company_id=id_of(user.company) if user.company else None,
            locale=user.locale,
            # No password: the invitation's link lets them choose one.
            password_hash=unusable_password_hash(),
        )
        for user in _only(creations, NewUser)
    ]
    db.add_all(users)
    await db.flush()
    return users


T = TypeVar("T")


def _only(items: Iterable[object], kind: type[T]) -> list[T]:
    return [item for item in items if isinstance(item, kind)]


async def _invite(client: Client, settings: Settings, users: Sequence[User], plan: Plan) -> None:
    """Ask for each user's invitation, a few at a time; 503 naming the import if it fails."""
    slots = asyncio.Semaphore(INVITATIONS_AT_ONCE)

    async def invite(user: User) -> None:
        async with slots:
            await send_account_email(client, settings, user, LinkPurpose.INVITATION)

    try:
        await asyncio.gather(*(invite(user) for user in users))
    except Exception as error:
        logger.warning("imported, but invitations not asked: %r", error)
        mapped = domain_error_of(error)
        reason = mapped.detail if mapped is not None else type(error).__name__
        raise InvitationsNotAsked(plan, reason) from error
