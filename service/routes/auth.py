"""Signing in and out, and choosing a password from an emailed link."""

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from service.auth import token_ttl_seconds
from service.deps import (
    AccountGuardsDep,
    ClientAddress,
    SessionmakerDep,
    SettingsDep,
    SignedInDep,
    TemporalConnectorDep,
)
from service.errors import error_responses
from service.schemas.users import (
    PasswordFromLink,
    PasswordResetRequest,
    TokenPublic,
    TokenRequest,
    UserPublic,
)
from service.use_cases import accounts

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Accepted(BaseModel):
    detail: str


@router.post("/token", responses=error_responses(401, 429))
async def issue_access_token(
    *,
    body: TokenRequest,
    sessions: SessionmakerDep,
    settings: SettingsDep,
    guards: AccountGuardsDep,
    address: ClientAddress,
) -> TokenPublic:
    """A bearer token for the user with this email and password (throttled on failures)."""
    user, token = await accounts.sign_in(
        sessions=sessions,
        settings=settings,
        guards=guards,
        email=body.email,
        password=body.password,
        address=address,
    )
    return TokenPublic(
        access_token=token.access_token,
        expires_in=token_ttl_seconds(settings),
        user=UserPublic.model_validate(user),
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(401))
async def sign_out(*, caller: SignedInDep, sessions: SessionmakerDep) -> Response:
    """End this token on the server: it is refused from now on."""
    await accounts.sign_out(sessions, caller.session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/password-reset", status_code=status.HTTP_202_ACCEPTED, responses=error_responses(429, 503)
)
async def request_password_reset(
    *,
    body: PasswordResetRequest,
    sessions: SessionmakerDep,
    settings: SettingsDep,
    guards: AccountGuardsDep,
    temporal: TemporalConnectorDep,
    address: ClientAddress,
) -> Accepted:
    """Email a link to choose a new password; the same answer whether the address exists."""
    await accounts.request_password_reset(
        sessions=sessions,
        settings=settings,
        guards=guards,
        temporal=temporal,
        email=body.email,
        address=address,
    )
    return Accepted(detail=accounts.RESET_ANSWER)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(429))
async def set_password(
    *,
    body: PasswordFromLink,
    sessions: SessionmakerDep,
    settings: SettingsDep,
    guards: AccountGuardsDep,
) -> Response:
    """Choose a password with the token of an invitation or reset link (422 if it is dead)."""
    await accounts.set_password_from_link(
        sessions=sessions,
        settings=settings,
        guards=guards,
        token=body.token,
        password=body.password,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
