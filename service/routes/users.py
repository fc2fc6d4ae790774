"""The signed-in user, and the users admins manage."""

import asyncio

from fastapi import APIRouter, status
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import User
from core.repositories import CompanyRepository, TownRepository, UserRepository
from core.security import hash_password, verify_password
from service.deps import AdminUser, CurrentUser, SessionDep
from service.errors import Conflict, Invalid, NotFound, error_responses
from service.schemas.common import IdPath
from service.schemas.users import MeUpdate, UserCreate, UserPublic, UserUpdate

router = APIRouter(prefix="/api/v1", tags=["users"], responses=error_responses(401))


@router.get("/me")
async def read_me(*, user: CurrentUser) -> UserPublic:
    """The signed-in user."""
    return UserPublic.model_validate(user)


@router.patch("/me")
async def update_me(*, body: MeUpdate, user: CurrentUser, session: SessionDep) -> UserPublic:
    """Change one's own name, locale, offer emails or password (which ends other sessions)."""
    changes = body.model_dump(exclude_unset=True, exclude={"password", "current_password"})
    if body.password is not None:
        current = body.current_password or ""
        if not await asyncio.to_thread(verify_password, user.password_hash, current):
            raise Invalid("the current password is wrong", loc=("body", "current_password"))
        user.password_hash = await asyncio.to_thread(hash_password, body.password)
    for field, value in changes.items():
        setattr(user, field, value)
    await session.flush()
    return UserPublic.model_validate(user)


@router.get("/users", responses=error_responses(403))
async def list_users(*, session: SessionDep, _admin: AdminUser) -> list[UserPublic]:
    """Every user (admin)."""
    return [UserPublic.model_validate(user) for user in await UserRepository(session).all()]


@router.post("/users", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 409))
async def create_user(*, body: UserCreate, session: SessionDep, _admin: AdminUser) -> UserPublic:
    """Create a user (admin): a town_officer of a town, a company user, or an admin."""
    users = UserRepository(session)
    if await users.by_email(body.email) is not None:
        raise Conflict("a user with this email exists")
    if body.town_id is not None and await TownRepository(session).get(body.town_id) is None:
        raise Invalid("no such town", loc=("body", "town_id"))
    if (
        body.company_id is not None
        and await CompanyRepository(session).get(body.company_id) is None
    ):
        raise Invalid("no such company", loc=("body", "company_id"))
    user = User(
        email=body.email,
        name=body.name,
        role=body.role.value,
        town_id=body.town_id,
        company_id=body.company_id,
        locale=body.locale,
        password_hash=await asyncio.to_thread(hash_password, body.password),
    )
    await users.add(user)
    return UserPublic.model_validate(user)


@router.get("/users/{user_id}", responses=error_responses(403, 404))
async def read_user(*, user_id: IdPath, session: SessionDep, _admin: AdminUser) -> UserPublic:
    """One user (admin)."""
    return UserPublic.model_validate(await _user(session, user_id))


@router.patch("/users/{user_id}", responses=error_responses(403, 404, 409))
async def update_user(
    *, user_id: IdPath, body: UserUpdate, session: SessionDep, admin: AdminUser
) -> UserPublic:
    """Change a user's name, locale, password or active flag (admin)."""
    user = await _user(session, user_id)
    if body.active is False and user.id == admin.id:
        raise Conflict("an admin cannot deactivate their own account")
    changes = body.model_dump(exclude_unset=True, exclude={"password"})
    if body.password is not None:
        user.password_hash = await asyncio.to_thread(hash_password, body.password)
    for field, value in changes.items():
        setattr(user, field, value)
    await session.flush()
    return UserPublic.model_validate(user)


async def _user(session: AsyncSession, user_id: str) -> User:
    user = await UserRepository(session).get(user_id)
    if user is None:
        raise NotFound("no such user")
    return user
