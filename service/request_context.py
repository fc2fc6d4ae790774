"""Each request's id (X-Request-ID) and pilot id, on every log line written while serving it."""

import re
import uuid

from fastapi import Request
from fastapi.telemetry import TelemetryConfig
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import logs

HEADER = "X-Request-ID"
# A request is followed by its id on the log lines; no traces or metrics are exported. FastAPI's
# own OpenTelemetry would look the global providers up on every request: off, for both apps.
NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
# A caller's id is kept (a proxy's, so lines join up) only if it is short and plain.
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")


class RequestContextMiddleware:
    """Takes or makes the request id, returns it as `X-Request-ID`, and scopes the log context.

    Pure ASGI, so uvicorn's access line, written when the response starts, sees the id too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, HEADER.lower().encode())
        current = given if given and _ACCEPTABLE_ID.fullmatch(given) else uuid.uuid4().hex
        request_token = logs.request_id.set(current)
        pilot_token = logs.pilot_id.set(None)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (HEADER.encode(), current.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            logs.request_id.reset(request_token)
            logs.pilot_id.reset(pilot_token)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


async def bind_pilot_id(request: Request) -> None:
    """An app-wide dependency: a route about one pilot names it on its log lines."""
    value = request.path_params.get("pilot_id")
    if isinstance(value, str):
        logs.pilot_id.set(value[:64])
