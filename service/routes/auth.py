"""Signing in: an email and password for a bearer token."""

import asyncio

from fastapi import APIRouter

from core.repositories import UserRepository
from service.auth import authenticate, issue_token, token_ttl_seconds
from service.deps import SessionDep, SettingsDep
from service.errors import Unauthorized, error_responses
from service.schemas.users import TokenPublic, TokenRequest, UserPublic

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", responses=error_responses(401))
async def issue_access_token(
    *, body: TokenRequest, session: SessionDep, settings: SettingsDep
) -> TokenPublic:
    """A bearer token for the user with this email and password."""
    candidate = await UserRepository(session).by_email(body.email)
    # argon2 is deliberately slow: keep it off the event loop.
    user = await asyncio.to_thread(authenticate, candidate, body.password)
    if user is None:
        raise Unauthorized("wrong email or password")
    token = issue_token(user, settings)
    return TokenPublic(
        access_token=token.access_token,
        expires_in=token_ttl_seconds(settings),
        user=UserPublic.model_validate(user),
    )
