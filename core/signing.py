"""Signed tokens for links sent by email, such as a company's unsubscribe link."""

import base64
import hashlib
import hmac

UNSUBSCRIBE = "unsubscribe"


def _digest(value: str, secret_key: str, purpose: str) -> str:
    # The purpose is signed too, so a token made for one use is refused by another.
    mac = hmac.new(secret_key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def sign(value: str, secret_key: str, *, purpose: str = UNSUBSCRIBE) -> str:
    """A URL-safe token `<value>.<hmac>` that proves the value came from us."""
    if "." in value:
        raise ValueError("a signed value may not contain '.'")
    return f"{value}.{_digest(value, secret_key, purpose)}"


def verify(token: str, secret_key: str, *, purpose: str = UNSUBSCRIBE) -> str | None:
    """The value a token carries if its signature is valid, else None."""
    value, _, signature = token.rpartition(".")
    if not value or not signature:
        return None
    expected = _digest(value, secret_key, purpose)
    return value if hmac.compare_digest(signature, expected) else None
