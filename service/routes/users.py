"""The signed-in user, and the users admins manage."""

from fastapi import APIRouter, status

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
from service.errors import error_responses
from service.schemas.common import IdPath
from service.schemas.users import MeUpdate, UserCreate, UserPublic, UserUpdate
from service.use_cases import accounts, users

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
    return await users.update_me(session, guards, caller, body, address)


@router.get("/users", responses=error_responses(403))
async def list_users(*, session: SessionDep, _admin: AdminUser) -> list[UserPublic]:
    """Every user (admin)."""
    return [UserPublic.model_validate(user) for user in await users.list_users(session)]


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
    return await users.resend_invitation(session, settings, temporal, user_id)


@router.get("/users/{user_id}", responses=error_responses(403, 404))
async def read_user(*, user_id: IdPath, session: SessionDep, _admin: AdminUser) -> UserPublic:
    """One user (admin)."""
    return await users.read_user(session, user_id)


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
    return await users.update_user(session, guards, admin, user_id, body)
