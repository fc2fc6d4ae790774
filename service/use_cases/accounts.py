"""Accounts: signing in and out, passwords chosen from emailed links, invitations.

Every path that hashes a password looks the user up, releases the database session,
hashes in the bounded pool (service/throttle.py), then writes in a new short transaction:
a flood of sign-ins holds threads for a moment, never the connection pool.
"""

import contextlib
import time
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from core.account_links import (
    LinkClaims,
    LinkPurpose,
    link_ttl_seconds,
    password_fingerprint,
    read_token,
)
from core.db import transaction
from core.models import User
from core.repositories import CompanyRepository, TownRepository, UserRepository
from core.security import hash_password, unusable_password_hash
from core.settings import Settings
from service.auth import (
    IssuedToken,
    check_password,
    end_session,
    end_user_sessions,
    open_session,
    usable_user_by_email,
)
from service.errors import Conflict, Invalid, Unauthorized
from service.schemas.users import UserCreate
from service.temporal import TemporalConnector
from service.throttle import AttemptLimits, HashingPool
from workflows.account_email import AccountEmailWorkflow, account_email_workflow_id
from workflows.contracts import AccountEmailRequest
from workflows.messages import N_

WRONG_PASSWORD = N_("wrong email or password")
BAD_LINK = N_("this link is invalid, expired or already used")
RESET_ANSWER = "if an account uses this address, an email with a link is on its way"


@dataclass(frozen=True)
class AccountGuards:
    """The app's attempt counters and hashing pool, built once in create_app."""

    attempts: AttemptLimits
    hashing: HashingPool


async def sign_in(
    *,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    guards: AccountGuards,
    email: str,
    password: str,
    address: str,
) -> tuple[User, IssuedToken]:
    """A new session for this email and password; 401 if wrong, 429 if tried too often."""
    await guards.attempts.check_sign_in(email, address)
    async with transaction(sessions) as db:
        candidate = await usable_user_by_email(db, email) if email else None
    stored = candidate.password_hash if candidate is not None else None
    verified = await guards.hashing.run(check_password, stored, password)
    if candidate is None or not verified.ok:
        await guards.attempts.sign_in_failed(email, address)
        raise Unauthorized(WRONG_PASSWORD)
    async with transaction(sessions) as db:
        # Read again: an admin may have deactivated the account while we hashed.
        user = await usable_user_by_email(db, email)
        if user is None or user.id != candidate.id:
            raise Unauthorized(WRONG_PASSWORD)
        if verified.new_hash is not None and user.password_hash == stored:
            # Today's argon2 parameters; not a new password, so other sessions live on.
            user.password_hash = verified.new_hash
        token = await open_session(db, user, settings)
    return user, token


async def create_user(
    *,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    guards: AccountGuards,
    temporal: TemporalConnector,
    body: UserCreate,
) -> User:
    """A new user; without a password, invited by email to choose one (the API and the page)."""
    password_hash = (
        unusable_password_hash()
        if body.password is None
        else await new_password_hash(guards, body.password)
    )
    async with transaction(sessions) as db:
        users = UserRepository(db)
        if await users.by_email(body.email) is not None:
            raise Conflict(N_("a user with this email exists"))
        if body.town_id is not None and await TownRepository(db).get(body.town_id) is None:
            raise Invalid(N_("no such town"), loc=("body", "town_id"))
        if body.company_id is not None and await CompanyRepository(db).get(body.company_id) is None:
            raise Invalid(N_("no such company"), loc=("body", "company_id"))
        user = User(
            email=body.email,
            name=body.name,
            role=body.role.value,
            town_id=body.town_id,
            company_id=body.company_id,
            locale=body.locale,
            password_hash=password_hash,
        )
        await users.add(user)
    # After the commit, so the worker finds the user; if Temporal fails here, the user
    # exists without email, and POST /users/{id}/invitation sends it again.
    if body.password is None:
        client = await temporal.get()
        await send_account_email(client, settings, user, LinkPurpose.INVITATION)
    return user


async def sign_out(sessions: async_sessionmaker[AsyncSession], session_id: str) -> None:
    async with transaction(sessions) as db:
        await end_session(db, session_id)


async def new_password_hash(guards: AccountGuards, password: str) -> str:
    """Hash in the bounded pool; call it holding no database session."""
    return await guards.hashing.run(hash_password, password)


async def replace_password(
    db: AsyncSession, user: User, password_hash: str, *, keep_session: str | None = None
) -> None:
    """Store a new password hash and end every other session of the user."""
    user.password_hash = password_hash
    await end_user_sessions(db, user.id, keep=keep_session)


async def set_password_from_link(
    *,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    guards: AccountGuards,
    token: str,
    password: str,
) -> User:
    """Choose a password with an emailed link; the link dies with the hash it was bound to."""
    claims = await link_claims(sessions, settings, token)
    new_hash = await new_password_hash(guards, password)
    async with transaction(sessions) as db:
        user = await db.get(User, claims.user_id)
        if user is None or password_fingerprint(user.password_hash, settings) != claims.fingerprint:
            raise Invalid(BAD_LINK, loc=("body", "token"))
        # Compare and set: of two uses of one link at once, only the first changes the hash.
        result = await db.execute(
            update(User)
            .where(User.id == user.id, User.password_hash == user.password_hash)
            .values(password_hash=new_hash)
        )
        if getattr(result, "rowcount", 0) != 1:
            raise Invalid(BAD_LINK, loc=("body", "token"))
        await end_user_sessions(db, user.id)
        await db.refresh(user)
    return user


async def link_claims(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, token: str
) -> LinkClaims:
    """The claims of a link that can still set a password; 422 otherwise."""
    claims = read_token(token, settings)
    if claims is None:
        raise Invalid(BAD_LINK, loc=("body", "token"))
    async with transaction(sessions) as db:
        user = await db.get(User, claims.user_id)
        current = password_fingerprint(user.password_hash, settings) if user else None
        if user is None or not user.active or current != claims.fingerprint:
            raise Invalid(BAD_LINK, loc=("body", "token"))
    return claims


async def request_password_reset(
    *,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    guards: AccountGuards,
    temporal: TemporalConnector,
    email: str,
    address: str,
) -> None:
    """Email a reset link if the address is an account's; the caller learns nothing either way."""
    await guards.attempts.reset_requested(email, address)
    # Connected first, whoever asks: Temporal down is 503 for every address alike.
    client = await temporal.get()
    async with transaction(sessions) as db:
        user = await usable_user_by_email(db, email)
    if user is not None:
        await send_account_email(client, settings, user, LinkPurpose.PASSWORD_RESET)


async def send_account_email(
    temporal: Client, settings: Settings, user: User, purpose: LinkPurpose
) -> None:
    """Start the durable email; asking again while the link lives starts nothing new."""
    request = AccountEmailRequest(
        purpose=purpose.value,
        user_id=user.id,
        fingerprint=password_fingerprint(user.password_hash, settings),
    )
    bucket = int(time.time()) // link_ttl_seconds(purpose, settings)
    # Already started: the same email is on its way (or sent).
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await temporal.start_workflow(
            AccountEmailWorkflow.run,
            request,
            id=account_email_workflow_id(request, bucket),
            task_queue=settings.temporal_task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
