"""Bearer tokens: a signed, random session id whose row on the server says who and until when.

The token is the session id signed with itsdangerous; the `auth_sessions` row holds the user
and the expiry. Deleting the row (sign-out, a new password) ends the token at once, and a
deactivated user or company is refused by the same one query that reads the session.
"""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ColumnElement, String, bindparam, delete, inspect, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from core.models import AuthSession, Company, User, utcnow
from core.security import has_usable_password, hash_password, needs_rehash, verify_password
from core.settings import Settings
from service.errors import Unauthorized

MAX_TOKEN_LENGTH = 256
INVALID_TOKEN = "invalid or expired token"


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    session_id: str
    expires_at: datetime


@dataclass(frozen=True)
class SignedIn:
    """The caller of a request and the session its token names."""

    user: User
    session_id: str
    expires_at: datetime


def token_ttl_seconds(settings: Settings) -> int:
    """How long a new token lives."""
    return settings.token_ttl_minutes * 60


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="pilotflow.access-token")


def session_id_of(token: str, settings: Settings) -> str:
    """The session id a well-signed token carries; Unauthorized otherwise."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise Unauthorized(INVALID_TOKEN)
    session_id = _signed_session_id(token, settings.secret_key)
    if session_id is None:
        raise Unauthorized(INVALID_TOKEN)
    return session_id


# Every request checks its token: two HMACs and a JSON decode, a quarter of the sign-in's
# CPU (docs/PERFORMANCE.md). A token's answer never changes, so the last ones are kept;
# whether its session still lives is the database's to say, on every request.
@lru_cache(maxsize=4096)
def _signed_session_id(token: str, secret_key: str) -> str | None:
    """The session id a token carries if it is signed with this key, else None."""
    try:
        session_id = _serializer(secret_key).loads(token)
    except BadSignature:
        return None
    return session_id if isinstance(session_id, str) else None


def token_for(session_id: str, settings: Settings) -> str:
    return str(_serializer(settings.secret_key).dumps(session_id))


def _usable_account() -> ColumnElement[bool]:
    # An active user of no company or of an active company.
    return (User.active.is_(True)) & or_(User.company_id.is_(None), Company.active.is_(True))


# A user's mapped attributes and their columns, in the order the sign-in selects them.
_USER_COLUMNS = tuple(
    (attribute.key, attribute.columns[0]) for attribute in inspect(User).column_attrs
)

# Every request runs it: built once, as building it cost as much as running it on SQLite.
# Plain columns, not the User entity: the ORM's loading of one entity was most of a read's
# sign-in (docs/PERFORMANCE.md); `_detached_user` builds the same object from them.
_SIGNED_IN = (
    select(*(column for _, column in _USER_COLUMNS), AuthSession.expires_at)
    .join(AuthSession, AuthSession.user_id == User.id)
    .outerjoin(Company, Company.id == User.company_id)
    .where(
        AuthSession.id == bindparam("session_id", type_=String),
        AuthSession.expires_at > bindparam("now", type_=AuthSession.expires_at.type),
    )
    .where(_usable_account())
)


def _detached_user(row: Sequence[Any]) -> User:
    """The row's user, detached, as a session that loaded and closed would leave it."""
    user = User(**{key: row[index] for index, (key, _) in enumerate(_USER_COLUMNS)})
    make_transient_to_detached(user)
    return user


async def open_session(db: AsyncSession, user: User, settings: Settings) -> IssuedToken:
    """A new session row for this user, and its token."""
    now = utcnow()
    # The user's own expired rows go now, so the table holds live sessions only.
    await db.execute(
        delete(AuthSession).where(AuthSession.user_id == user.id, AuthSession.expires_at <= now)
    )
    row = AuthSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        created_at=now,
        expires_at=now + timedelta(seconds=token_ttl_seconds(settings)),
    )
    db.add(row)
    await db.flush()
    return IssuedToken(token_for(row.id, settings), row.id, row.expires_at)


async def signed_in(db: AsyncSession, token: str, settings: Settings) -> SignedIn:
    """The live session a token names, with its usable user, in one query; else Unauthorized."""
    session_id = session_id_of(token, settings)
    params = {"session_id": session_id, "now": utcnow()}
    row = (await db.execute(_SIGNED_IN, params)).one_or_none()
    if row is None:
        raise Unauthorized(INVALID_TOKEN)
    return SignedIn(_detached_user(row), session_id, row[-1])


async def renew_session(db: AsyncSession, session_id: str, settings: Settings) -> datetime:
    """Push a live session's expiry a full lifetime on; its token (and forms) stay the same."""
    expires_at = utcnow() + timedelta(seconds=token_ttl_seconds(settings))
    await db.execute(
        update(AuthSession).where(AuthSession.id == session_id).values(expires_at=expires_at)
    )
    return expires_at


async def end_session(db: AsyncSession, session_id: str) -> None:
    """Sign out: the token that names this session is refused from now on."""
    await db.execute(delete(AuthSession).where(AuthSession.id == session_id))


async def end_user_sessions(db: AsyncSession, user_id: str, *, keep: str | None = None) -> None:
    """End every session of a user (a new password), but `keep` if given."""
    statement = delete(AuthSession).where(AuthSession.user_id == user_id)
    if keep is not None:
        statement = statement.where(AuthSession.id != keep)
    await db.execute(statement)


async def end_company_sessions(db: AsyncSession, company_id: str) -> None:
    """End every session of a company's users (the company is deactivated)."""
    users = select(User.id).where(User.company_id == company_id).scalar_subquery()
    await db.execute(delete(AuthSession).where(AuthSession.user_id.in_(users)))


async def usable_user_by_email(db: AsyncSession, email: str) -> User | None:
    """The active user of this email whose company, if any, is active."""
    result = await db.execute(
        select(User)
        .outerjoin(Company, Company.id == User.company_id)
        .where(User.email == email.strip().lower())
        .where(_usable_account())
    )
    return result.scalar_one_or_none()


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return hash_password("decoy password that matches nobody")


@dataclass(frozen=True)
class Verified:
    """A password check's outcome; `new_hash` when the stored one used older parameters."""

    ok: bool
    new_hash: str | None = None


def check_password(password_hash: str | None, password: str) -> Verified:
    """Verify (as slowly for an unknown user), and rehash if the parameters changed.

    Blocking: argon2 is slow on purpose; call it in a thread, holding no database connection.
    """
    if password_hash is None or not has_usable_password(password_hash):
        # As slow as a real check: the answer's time tells nothing about the account.
        verify_password(_decoy_hash(), password)
        return Verified(ok=False)
    if not verify_password(password_hash, password):
        return Verified(ok=False)
    return Verified(
        ok=True, new_hash=hash_password(password) if needs_rehash(password_hash) else None
    )
