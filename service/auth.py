"""Bearer tokens: HMAC-signed, expiring, and revoked when the user's password changes.

A token is `v1.<user id>.<expiry, unix seconds>.<password fingerprint>.<signature>`. The
fingerprint is a keyed hash of the stored password hash, so a new password (a new hash,
since argon2 salts each one) invalidates every token issued before it.
"""

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from functools import lru_cache

from core.models import User
from core.security import hash_password, verify_password
from core.settings import Settings
from service.errors import Unauthorized

VERSION = "v1"
MAX_TOKEN_LENGTH = 256
INVALID_TOKEN = "invalid or expired token"


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_at: int


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    expires_at: int
    fingerprint: str


def token_ttl_seconds(settings: Settings) -> int:
    """How long a new token lives."""
    return settings.token_ttl_minutes * 60


def _key(settings: Settings, purpose: str) -> bytes:
    # Derived per purpose so the secret signs nothing else with the same key.
    return hmac.new(settings.secret_key.encode(), purpose.encode(), hashlib.sha256).digest()


def _mac(settings: Settings, purpose: str, message: str) -> str:
    digest = hmac.new(_key(settings, purpose), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def password_fingerprint(user: User, settings: Settings) -> str:
    """A keyed digest of the stored hash: it changes with the password."""
    return _mac(settings, "token-fingerprint", user.password_hash)[:16]


def issue_token(user: User, settings: Settings, *, now: float | None = None) -> IssuedToken:
    """A signed token for this user, valid for the configured time."""
    expires_at = int(now if now is not None else time.time()) + token_ttl_seconds(settings)
    payload = f"{VERSION}.{user.id}.{expires_at}.{password_fingerprint(user, settings)}"
    return IssuedToken(f"{payload}.{_mac(settings, 'token', payload)}", expires_at)


def read_token(token: str, settings: Settings, *, now: float | None = None) -> TokenClaims:
    """The claims of a well-signed, unexpired token; Unauthorized otherwise."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise Unauthorized(INVALID_TOKEN)
    payload, _, signature = token.rpartition(".")
    if not hmac.compare_digest(signature.encode(), _mac(settings, "token", payload).encode()):
        raise Unauthorized(INVALID_TOKEN)
    parts = payload.split(".")
    if len(parts) != 4 or parts[0] != VERSION or not parts[2].isdigit():
        raise Unauthorized(INVALID_TOKEN)
    claims = TokenClaims(user_id=parts[1], expires_at=int(parts[2]), fingerprint=parts[3])
    if claims.expires_at <= (now if now is not None else time.time()):
        raise Unauthorized(INVALID_TOKEN)
    return claims


def token_user_valid(claims: TokenClaims, user: User | None, settings: Settings) -> User:
    """The token's user if it still exists, is active and has the same password."""
    if user is None or not user.active:
        raise Unauthorized(INVALID_TOKEN)
    expected = password_fingerprint(user, settings)
    if not hmac.compare_digest(claims.fingerprint.encode(), expected.encode()):
        raise Unauthorized(INVALID_TOKEN)
    return user


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return hash_password("decoy password that matches nobody")


def authenticate(user: User | None, password: str) -> User | None:
    """The user if the password is theirs and they are active; as slow for an unknown user."""
    if user is None:
        verify_password(_decoy_hash(), password)
        return None
    return user if verify_password(user.password_hash, password) and user.active else None
