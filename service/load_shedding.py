"""Overload: a request beyond this process's capacity is refused at once, never queued.

An API process answers one request's Python at a time. Offered more than it can answer, it
used to accept everything, so every request waited behind all the others: latencies grew
past any client's patience, clients gave up on requests the process then still answered, and
the answers that counted fell towards nothing (issue 10: 200 reads a second offered for
30 seconds, 14 a second answered). Here at most `max_in_flight` requests are in this process
at once; the next one is answered 503 with `Retry-After` at once, which costs microseconds,
so the process keeps answering at its capacity and a client learns in time to try again.

The health probes are never refused: an orchestrator that took a busy process for a dead one
would restart it and make the overload worse.
"""

import json

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from service.errors import Unavailable
from service.pages.errors import busy_page
from workflows.messages import N_

BUSY = N_("the service is busy; try again in a moment")
RETRY_AFTER_SECONDS = 1
NEVER_REFUSED = frozenset({"/healthz", "/readyz"})


class LoadSheddingMiddleware:
    """At most `max_in_flight` HTTP requests in this process; beyond, 503 at once."""

    def __init__(self, app: ASGIApp, *, max_in_flight: int) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        refusal = Unavailable(BUSY, retry_after=RETRY_AFTER_SECONDS)
        self._api_body = json.dumps(refusal.body()).encode()
        self._api_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(self._api_body)).encode()),
            (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in NEVER_REFUSED:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            await self._refuse(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"].startswith("/api/"):
            await send({"type": "http.response.start", "status": 503, "headers": self._api_headers})
            await send({"type": "http.response.body", "body": self._api_body})
            return
        # A person at a page reads why, in their language, like any other error page.
        await busy_page(Request(scope, receive), RETRY_AFTER_SECONDS)(scope, receive, send)
