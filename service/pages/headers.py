"""What every page answer carries: the pages' security headers and the renewed session cookie."""

from fastapi.responses import Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.settings import Settings
from service.pages.session import SESSION_COOKIE, set_session_cookie

# No script at all; inline styles only for the emails shown in sandboxed frames.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # The unsubscribe token is in the address: it must not leak to other sites.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def add_page_headers(headers: MutableHeaders) -> None:
    """The security headers a page did not set itself."""
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)


class PageHeadersMiddleware:
    """Every answer of the pages: their security headers, and the session cookie again when
    the session was renewed (`request.state.renewed_token`) and the answer sets none."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                add_page_headers(headers)
                renewed = scope.get("state", {}).get("renewed_token")
                cookies = headers.getlist("set-cookie")
                if renewed is not None and not any(c.startswith(SESSION_COOKIE) for c in cookies):
                    headers.append("set-cookie", self._session_cookie(renewed))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _session_cookie(self, token: str) -> str:
        carrier = Response()
        set_session_cookie(carrier, token, self.settings)
        return carrier.headers["set-cookie"]
