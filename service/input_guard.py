"""One rule for every input: no text PostgreSQL, UTF-8 or Temporal's JSON cannot carry.

A NUL character (PostgreSQL refuses it in text) or a lone surrogate (`\\ud800` in JSON: not
encodable as UTF-8) in a path, a query, a form or a JSON body is refused with 422 here,
before any route runs. Checking each field instead would miss the next field added, and a
value that slipped through would fail later where it hurts more: in a database write (a
500) or in a workflow's activity, retried for ever.
"""

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import DomainError, Invalid, NotFound
from workflows.messages import N_

MESSAGE = N_("text may not contain NUL characters or unpaired surrogates, nor nest so deep")
FORM = b"application/x-www-form-urlencoded"
JSON_TYPES = (b"application/json", b"+json")


def is_unstorable(text: str) -> bool:
    """Whether `text` holds a character no column and no UTF-8 payload can store."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _first_unstorable(scope: Scope, body: bytes) -> str | None:
    """Where the first unstorable text is (`path`, `query`, `body`), or None."""
    if is_unstorable(scope["path"]):
        return "path"
    query = scope.get("query_string", b"").decode("latin-1")
    if "%00" in query or any(map(is_unstorable, _decoded_pairs(query))):
        return "query"
    content_type = _content_type(scope)
    if body and content_type.startswith(FORM):
        form = body.decode("latin-1")
        if "%00" in form or any(map(is_unstorable, _decoded_pairs(form))):
            return "body"
    elif body and (content_type.startswith(JSON_TYPES[0]) or JSON_TYPES[1] in content_type):
        try:
            if any(map(is_unstorable, _strings(json.loads(body)))):
                return "body"
        except ValueError:  # not JSON: the route's own validation says so
            return None
        except RecursionError:  # nested deeper than the parsers down the line can follow
            return "body"
    return None


def _decoded_pairs(encoded: str) -> Iterator[str]:
    for key, value in parse_qsl(encoded, keep_blank_values=True):
        yield key
        yield value
    yield unquote(encoded)


def _content_type(scope: Scope) -> bytes:
    for key, value in scope.get("headers", []):
        if key == b"content-type":
            return bytes(value).lower()
    return b""


class InputGuardMiddleware:
    """Refuses unstorable text anywhere in a request (422), bodies up to `max_body` bytes."""

    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        read: list[Message] = []
        body = b""
        more = scope["method"] not in ("GET", "HEAD", "OPTIONS", "DELETE")
        # Read the body up to the limit; a larger one goes on unchecked to be refused (413).
        while more and len(body) <= self.max_body:
            message = await receive()
            read.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
        where = _first_unstorable(scope, b"" if more else body)
        if where is not None:
            # A path with such text names nothing that exists: 404, like any unknown id.
            refusal: DomainError = (
                NotFound(N_("no such object"))
                if where == "path"
                else Invalid(MESSAGE, loc=(where,))
            )
            await JSONResponse(refusal.body(), status_code=refusal.status_code)(
                scope, receive, send
            )
            return

        async def replay() -> Message:
            return read.pop(0) if read else await receive()

        await self.app(scope, replay, send)
