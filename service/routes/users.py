"""The signed-in user, and the users admins manage."""

from fastapi import APIRouter, status
from sqlalchemy.ext.asyncio import AsyncSession

from core.account_links import LinkPurpose
from core.models import User
from core.repositories import UserRepository
from core.security import has_usable_password, verify_password
from service import accounts
from service.auth import end_user_sessions
from service.deps import (
    AccountGuardsDep,
    AdminUser,
    ClientAddress,
    CurrentUser,
    SessionDep,
    SessionmakerDep,
    SettingsDep,
    SignedInDep,
    TemporalClientDep,
    TemporalConnectorDep,
)
from service.errors import Conflict, Invalid, NotFound, error_responses
from service.schemas.common import IdPath
from service.schemas.users import MeUpdate, UserCreate, UserPublic, UserUpdate

router = APIRouter(prefix="/api/v1", tags=["users"], responses=error_responses(401))


@router.get("/me")
async def read_me(*, user: CurrentUser) -> UserPublic:
    """The signed-in user."""
    return UserPublic.model_validate(user)


@router.patch("/me", responses=error_responses(429))
async def update_me(
    *,
    body: MeUpdate,
    caller: SignedInDep,
    session: SessionDep,
    guards: AccountGuardsDep,
    address: ClientAddress,
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
            raise Invalid("the current password is wrong", loc=("body", "current_password"))
        new_hash = await accounts.new_password_hash(guards, body.password)
    user = await _user(session, signed_in_as.id)
    if new_hash is not None:
        if user.password_hash != signed_in_as.password_hash:
            raise Conflict("the password changed meanwhile: sign in again")
        await accounts.replace_password(session, user, new_hash, keep_session=caller.session_id)
    for field, value in changes.items():
        setattr(user, field, value)
    await session.flush()
    return UserPublic.model_validate(user)


@router.get("/users", responses=error_responses(403))
async def list_users(*, session: SessionDep, _admin: AdminUser) -> list[UserPublic]:
    """Every user (admin)."""
    return [UserPublic.model_validate(user) for user in await UserRepository(session).all()]


@router.post(
    "/users", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 409, 503)
)
async def create_user(
    *,
    body: UserCreate,
    sessions: SessionmakerDep,
    settings: SettingsDep,
    guards: AccountGuardsDep,
    temporal: TemporalConnectorDep,
    _admin: AdminUser,
) -> UserPublic:
    """Create a user (admin); without a password, they are invited by email to choose one."""
    user = await accounts.create_user(
        sessions=sessions, settings=settings, guards=guards, temporal=temporal, body=body
    )
    return UserPublic.model_validate(user)


@router.post(
    "/users/{user_id}/invitation",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(403, 404, 409, 503),
)
async def resend_invitation(
    *,
    user_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalClientDep,
    _admin: AdminUser,
) -> UserPublic:
    """Email the invitation again (admin), to a user who has not chosen a password yet."""
    user = await _user(session, user_id)
    if has_usable_password(user.password_hash) or not user.active:
        raise Conflict("this user has chosen a password (or is inactive): no invitation to send")
    await accounts.send_account_email(temporal, settings, user, LinkPurpose.INVITATION)
    return UserPublic.model_validate(user)


@router.get("/users/{user_id}", responses=error_responses(403, 404))
async def read_user(*, user_id: IdPath, session: SessionDep, _admin: AdminUser) -> UserPublic:
    """One user (admin)."""
    return UserPublic.model_validate(await _user(session, user_id))


@router.patch("/users/{user_id}", responses=error_responses(403, 404, 409))
async def update_user(
    *,
    user_id: IdPath,
    body: UserUpdate,
    session: SessionDep,
    guards: AccountGuardsDep,
    admin: AdminUser,
) -> UserPublic:
    """Change a user's name, locale, password or active flag (admin).

    A new password or a deactivation ends every session of the user at once.
    """
    if body.active is False and user_id == admin.id:
        raise Conflict("an admin cannot deactivate their own account")
    # Hashing comes before the request's session is first used: no connection is held.
    new_hash = None
    if body.password is not None:
        new_hash = await accounts.new_password_hash(guards, body.password)
    user = await _user(session, user_id)
    changes = body.model_dump(exclude_unset=True, exclude={"password"})
    if new_hash is not None:
        await accounts.replace_password(session, user, new_hash)
    if body.active is False:
        await end_user_sessions(session, user.id)
    for field, value in changes.items():
        setattr(user, field, value)
    await session.flush()
    return UserPublic.model_validate(user)


async def _user(session: AsyncSession, user_id: str) -> User:
    user = await UserRepository(session).get(user_id)
    if user is None:
        raise NotFound("no such user")
    return user
