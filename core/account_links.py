"""Signed, expiring, single-use links that let a user choose a password (invitation, reset).

A link carries the user id, the purpose and a fingerprint of the stored password hash,
signed and timestamped with itsdangerous. Setting the password changes the hash, so the
fingerprint no longer matches and the link stops working: single use without a table.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core.settings import Settings

SALT = "pilotflow.set-password"


class LinkPurpose(StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"


@dataclass(frozen=True)
class LinkClaims:
    user_id: str
    purpose: LinkPurpose
    fingerprint: str


def password_fingerprint(password_hash: str, settings: Settings) -> str:
    """A keyed digest of a stored hash: it changes whenever the password does."""
    key = hmac.new(settings.secret_key.encode(), b"password-fingerprint", hashlib.sha256).digest()
    return hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()[:24]


def link_ttl_seconds(purpose: LinkPurpose, settings: Settings) -> int:
    if purpose == LinkPurpose.INVITATION:
        return settings.invitation_ttl_hours * 3600
    return settings.password_reset_ttl_minutes * 60


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=SALT)


def make_token(claims: LinkClaims, settings: Settings) -> str:
    payload = {"u": claims.user_id, "p": claims.purpose.value, "f": claims.fingerprint}
    return str(_serializer(settings).dumps(payload))


def set_password_url(claims: LinkClaims, settings: Settings) -> str:
    return f"{settings.effective_public_url}/password/{make_token(claims, settings)}"


def read_token(token: str, settings: Settings) -> LinkClaims | None:
    """The claims of a well-signed link still within its purpose's lifetime, else None.

    Whether it was already used is for the caller to see: the fingerprint must match.
    """
    if len(token) > 1000:
        return None
    longest = max(link_ttl_seconds(purpose, settings) for purpose in LinkPurpose)
    try:
        payload: Any = _serializer(settings).loads(token, max_age=longest)
    except (SignatureExpired, BadSignature):
        return None
    try:
        claims = LinkClaims(str(payload["u"]), LinkPurpose(payload["p"]), str(payload["f"]))
    except (KeyError, TypeError, ValueError):
        return None
    _, signed_at = _serializer(settings).loads(token, return_timestamp=True)
    age = (datetime.now(UTC) - signed_at).total_seconds()
    return claims if age <= link_ttl_seconds(claims.purpose, settings) else None
