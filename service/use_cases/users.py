"""The users admins manage, and each user's own profile."""

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from core.account_links import LinkPurpose
from core.models import User
from core.repositories import UserRepository
from core.security import has_usable_password, verify_password
from core.settings import Settings
from service.auth import SignedIn, end_user_sessions
from service.errors import Conflict, Invalid, NotFound
from service.schemas.users import MeUpdate, ProfileUpdate, UserPublic, UserUpdate
from service.use_cases.accounts import (
    AccountGuards,
    new_password_hash,
    replace_password,
    send_account_email,
)
from workflows.messages import N_


async def update_me(
    session: AsyncSession, guards: AccountGuards, caller: SignedIn, body: MeUpdate, address: str
) -> UserPublic:
    """Change one's own name, locale, offer emails or password (which ends other sessions)."""
    signed_in_as = caller.user
    changes = body.model_dump(exclude_unset=True, exclude={"password", "current_password"})
    new_hash = None
    if body.password is not None:
        current = body.current_password or ""
        # A stolen token must not become a way to guess the password: same counter as sign-in.
        await guards.attempts.check_sign_in(signed_in_as.email, address)
        # Hashing comes before the request's session is first used: no connection is held.
        if not await guards.hashing.run(verify_password, signed_in_as.password_hash, current):
            await guards.attempts.sign_in_failed(signed_in_as.email, address)
            raise Invalid(N_("the current password is wrong"), loc=("body", "current_password"))
        new_hash = await new_password_hash(guards, body.password)
    user = await _user(session, signed_in_as.id)
    if new_hash is not None:
        if user.password_hash != signed_in_as.password_hash:
            raise Conflict(N_("the password changed meanwhile: sign in again"))
        await replace_password(session, user, new_hash, keep_session=caller.session_id)
    return await _change(session, user, changes)


async def update_profile(session: AsyncSession, user_id: str, body: ProfileUpdate) -> UserPublic:
    """Change one's own name, locale or offer emails, as PATCH /me does without a password."""
    user = await _user(session, user_id)
    return await _change(session, user, body.model_dump(exclude_unset=True))


async def _change(session: AsyncSession, user: User, changes: dict[str, object]) -> UserPublic:
    for field, value in changes.items():
        setattr(user, field, value)
    await session.flush()
    return UserPublic.model_validate(user)


async def choose_locale(session: AsyncSession, user_id: str, locale: str) -> None:
    """Show this user the pages and emails in `locale` from now on."""
    user = await _user(session, user_id)
    user.locale = locale
    await session.flush()


async def list_users(session: AsyncSession) -> list[User]:
    """Every user (the pages show whether each is active, which UserPublic leaves out)."""
    return list(await UserRepository(session).all())


async def read_user(session: AsyncSession, user_id: str) -> UserPublic:
    """One user; 404 if there is none."""
    return UserPublic.model_validate(await _user(session, user_id))


async def resend_invitation(
    session: AsyncSession, settings: Settings, temporal: Client, user_id: str
) -> UserPublic:
    """Email the invitation again, to a user who has not chosen a password yet (409 else)."""
    user = await _user(session, user_id)
    if has_usable_password(user.password_hash) or not user.active:
        chosen = N_("this user has chosen a password (or is inactive): no invitation to send")
        raise Conflict(chosen)
    await send_account_email(temporal, settings, user, LinkPurpose.INVITATION)
    return UserPublic.model_validate(user)


async def update_user(
    session: AsyncSession, guards: AccountGuards, admin: User, user_id: str, body: UserUpdate
) -> UserPublic:
    """Change a user's name, locale, password or active flag, as this admin.

    A new password or a deactivation ends every session of the user at once.
    """
    if body.active is False and user_id == admin.id:
        raise Conflict(N_("an admin cannot deactivate their own account"))
    # Hashing comes before the request's session is first used: no connection is held.
    new_hash = None
    if body.password is not None:
        new_hash = await new_password_hash(guards, body.password)
    user = await _user(session, user_id)
    changes = body.model_dump(exclude_unset=True, exclude={"password"})
    if new_hash is not None:
        await replace_password(session, user, new_hash)
    if body.active is False:
        await end_user_sessions(session, user.id)
    for field, value in changes.items():
        setattr(user, field, value)
    await session.flush()
    return UserPublic.model_validate(user)


async def _user(session: AsyncSession, user_id: str) -> User:
    user = await UserRepository(session).get(user_id)
    if user is None:
        raise NotFound(N_("no such user"))
    return user
