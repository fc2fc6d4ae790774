"""One-time messages for the page after a redirect ("Pilot submitted"), in a signed cookie."""

import base64
import json
from dataclasses import dataclass
from typing import Literal

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from core.settings import Settings
from core.signing import sign, verify
from service.pages.session import cookie_options

COOKIE = "pf_flash"
PURPOSE = "flash"
MAX_TEXT = 600

Kind = Literal["success", "error"]


@dataclass(frozen=True)
class Flash:
    kind: Kind
    text: str


def redirect(url: str, settings: Settings, *, flash: Flash | None = None) -> RedirectResponse:
    """A 303 See Other to `url`, carrying a message for the page it leads to."""
    response = RedirectResponse(url, status_code=303)
    if flash is not None:
        payload = json.dumps({"kind": flash.kind, "text": flash.text[:MAX_TEXT]})
        value = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        response.set_cookie(
            COOKIE, sign(value, settings.secret_key, purpose=PURPOSE), **cookie_options(settings)
        )
    return response


def take_flash(request: Request, settings: Settings) -> Flash | None:
    """The message waiting for this page, if any and if we signed it."""
    token = request.cookies.get(COOKIE)
    value = verify(token, settings.secret_key, purpose=PURPOSE) if token else None
    if value is None:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        kind: Kind = "error" if data["kind"] == "error" else "success"
        return Flash(kind, str(data["text"]))
    except (ValueError, KeyError, TypeError):
        return None


def clear_flash(request: Request, response: Response, settings: Settings) -> None:
    if COOKIE in request.cookies:
        response.delete_cookie(COOKIE, **cookie_options(settings))
