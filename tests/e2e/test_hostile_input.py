"""Hostile input against every endpoint of the OpenAPI document and every page form.

On the real dev server, SMTP server and both databases: no answer is a 5xx, unstorable
text is refused (422, or 404 in a path), an unknown id of any shape is a 404, a batch of
refused requests changes nothing, and what is stored comes back escaped in pages and email.
"""

import asyncio
import json
import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from cli.smtp_sink import SmtpSink
from cli.worker import build_worker
from core.settings import Settings
from service.main import create_app
from service.pages.app import PagesMount
from tests.e2e.conftest import ADMIN
from tests.support import hostile

PASSWORD = "a-good-password"
Headers = dict[str, str]
# Actions that end a pilot go last, so the others still find it open.
LAST = ("/withdraw", "/cancel", "/decide")
SESSION_ENDING = frozenset({"/api/v1/auth/logout"})


@pytest.fixture
def settings(database_url: str, sink: SmtpSink, task_queue: str) -> Settings:
    # Days of a day's length: no timer fires while the corpus runs, so state moves only by it.
    return Settings(
        _env_file=None,
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        temporal_task_queue=task_queue,
        admin_email=ADMIN[0],
        admin_password=ADMIN[1],
        secret_key="hostile-secret",
    )


@pytest.fixture
async def app(
    settings: Settings,
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    app.state.temporal.use(dev_env.client)
    async with build_worker(dev_env.client, settings, sessions), app.router.lifespan_context(app):
        yield app


def client_of(app: FastAPI) -> AsyncClient:
    # A 500 is an answer to record with the others, not an exception that ends the run.
    transport = ASGITransport(app, raise_app_exceptions=False)
    return AsyncClient(transport=transport, base_url="http://testserver")


@dataclass
class Region:
    api: AsyncClient
    admin: Headers
    officer: Headers
    company: Headers
    known: dict[str, Any]
    ids: dict[str, str]
    pilots: dict[str, str]
    # A second admin session for the corpus to sign out: signing in later is throttled, since
    # the corpus's own wrong sign-ins count against this client's address.
    spare_admin: Headers

    def roles(self) -> list[Headers]:
        return [self.admin, self.officer, self.company]


async def sign_in(api: AsyncClient, email: str, password: str = PASSWORD) -> Headers:
    response = await api.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def post(api: AsyncClient, path: str, body: Any, headers: Headers) -> Any:
    response = await api.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def build_region(api: AsyncClient) -> Region:
    admin = await sign_in(api, *ADMIN)
    town = await post(api, "/api/v1/towns", {"name": "Lille"}, admin)
    company = await post(
        api,
        "/api/v1/companies",
        {"name": "Lumen", "contact_email": "contact@lumen.example",
         "themes": ["efficient-city"], "tags": ["lighting"]},
        admin,
    )  # fmt: skip
    for email, role, ids in (
        ("officer@lille.example", "town_officer", {"town_id": town["id"]}),
        ("team@lumen.example", "company", {"company_id": company["id"]}),
    ):
        await post(api, "/api/v1/users", {"email": email, "password": PASSWORD, "role": role,
                                          **ids}, admin)  # fmt: skip
    officer = await sign_in(api, "officer@lille.example")
    member = await sign_in(api, "team@lumen.example")
    me = (await api.get("/api/v1/me", headers=officer)).json()
    proposal = {
        "title": "Éclairage", "summary": "Dim the lights.", "theme": "efficient-city",
        "needs": ["lighting"], "budget_eur": 30000,
        "desired_start": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
        "duration_days": 60,
        "kpis": [{"name": "energy", "unit": "kWh", "baseline": 1000, "target": 700}],
    }  # fmt: skip
    submitted = await post(api, "/api/v1/pilots", proposal, officer)
    matching = await post(api, "/api/v1/pilots", proposal, officer)
    await post(api, f"/api/v1/pilots/{matching['id']}/review", {"decision": "approve"}, admin)
    known = {
        "theme": "efficient-city", "themes": ["efficient-city"], "needs": ["lighting"],
        "tags": ["lighting"], "town_id": town["id"], "company_id": company["id"],
        "kpis": proposal["kpis"], "kpi": "energy", "desired_start": proposal["desired_start"],
        "email": "new.user@lille.example", "password": "another-good-password",
    }  # fmt: skip
    ids = {"user_id": me["id"], "company_id": company["id"], "code": "efficient-city"}
    pilots = {"default": submitted["id"], "matching": matching["id"]}
    spare_admin = await sign_in(api, *ADMIN)
    return Region(api, admin, officer, member, known, ids, pilots, spare_admin)


async def snapshot(region: Region) -> str:
    """What an admin can read of the region, as one comparable text."""
    api, admin = region.api, region.admin
    parts: dict[str, Any] = {}
    for path in ("/api/v1/users", "/api/v1/towns", "/api/v1/themes", "/api/v1/companies",
                 "/api/v1/pilots?limit=100"):  # fmt: skip
        parts[path] = (await api.get(path, headers=admin)).json()
    for pilot in parts["/api/v1/pilots?limit=100"]["items"]:
        events = f"/api/v1/pilots/{pilot['id']}/events"
        parts[events] = (await api.get(events, headers=admin)).json()
    return json.dumps(parts, sort_keys=True)


async def settled(region: Region) -> str:
    """The snapshot once the workflows have finished what earlier accepted requests began."""
    previous = await snapshot(region)
    for _ in range(100):
        await asyncio.sleep(0.2)
        current = await snapshot(region)
        if current == previous:
            return current
        previous = current
    raise AssertionError("the region never settled")


@dataclass
class Operation:
    method: str
    path: str
    spec: dict[str, Any]

    def params(self, where: str) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p["in"] == where]

    def body_schema(self) -> dict[str, Any] | None:
        content = self.spec.get("requestBody", {}).get("content", {})
        return content.get("application/json", {}).get("schema")


def operations(document: dict[str, Any]) -> list[Operation]:
    found = [
        Operation(method.upper(), path, spec)
        for path, methods in document["paths"].items()
        for method, spec in methods.items()
    ]
    return sorted(found, key=lambda op: op.path.endswith(LAST))


class Verdicts:
    """Every answer the corpus got; a 5xx (other than a 503 from a down service) fails."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.count = 0
        self.statuses: Counter[int] = Counter()

    def check(self, what: str, response: Response, expected: set[int] | None = None) -> None:
        self.count += 1
        self.statuses[response.status_code] += 1
        server_error = response.status_code >= 500 and response.status_code != 503
        if server_error or (expected is not None and response.status_code not in expected):
            self.failures.append(f"{what} -> {response.status_code} {response.text[:200]}")


def fill(op: Operation, region: Region, overrides: dict[str, str] | None = None) -> str:
    path = op.path
    for param in op.params("path"):
        name = param["name"]
        if overrides and name in overrides:
            value = overrides[name]
        elif name == "pilot_id":
            action = op.path.rsplit("/", 1)[-1]
            value = region.pilots["matching" if action in ("respond", "select-partner")
                                  else "default"]  # fmt: skip
        else:
            value = region.ids[name]
        path = path.replace("{" + name + "}", value)
    return path


async def send(
    region: Region, op: Operation, path: str, headers: Headers, body: bytes | None, query: str = ""
) -> Response:
    content_type = {"content-type": "application/json"} if body is not None else {}
    return await region.api.request(
        op.method, path + query, content=body, headers=headers | content_type
    )


async def real_cursor(region: Region, op: Operation) -> str:
    """A cursor the list handed out (the region has two pilots or more)."""
    page = await region.api.get(f"{fill(op, region)}?limit=1", headers=region.admin)
    assert page.status_code == 200 and page.json()["next_cursor"], page.text
    return str(page.json()["next_cursor"])


async def choose_role(region: Region, op: Operation, body: bytes | None) -> Headers:
    """The first role the endpoint lets in (so the corpus reaches its validation)."""
    for headers in region.roles():
        response = await send(region, op, fill(op, region), headers, body)
        if response.status_code not in (401, 403, 404):
            return headers
    return region.admin


async def attack_operation(
    region: Region, document: dict[str, Any], op: Operation, verdicts: Verdicts
) -> None:
    schema = op.body_schema()
    base = hostile.example(schema, document, region.known) if schema else None
    base_bytes = hostile.encode(base) if schema else None
    if op.path in SESSION_ENDING:
        # Signing out ends the token it is sent with: attack it with a session of its own.
        role = region.spare_admin
    else:
        role = await choose_role(region, op, base_bytes)
    name = f"{op.method} {op.path}"

    async def batch(requests: list[tuple[str, str, bytes | None, str, set[int] | None]]) -> None:
        before = await settled(region)
        accepted = False
        for what, path, body, query, expected in requests:
            response = await send(region, op, path, role, body, query)
            verdicts.check(f"{name} {what}", response, expected)
            accepted |= response.status_code < 400
        if not accepted:
            after = await snapshot(region)
            if after != before:
                verdicts.failures.append(f"{name}: refused requests changed the region")

    # Ids of every shape: a 404, whatever they look like.
    await batch([
        (f"path {p['name']}={label}", fill(op, region, {p["name"]: value}), base_bytes, "", {404})
        for p in op.params("path") for label, value in hostile.PATH_IDS.items()
    ])  # fmt: skip
    # Every query parameter, every hostile text; unstorable text is a 422.
    queries = []
    for param in op.params("query"):
        values = dict(hostile.TEXT)
        if param["name"] == "cursor":
            values |= hostile.FORGED_CURSORS | hostile.truncations(await real_cursor(region, op))
        for label, value in values.items():
            # An URL's length is bounded by every client and proxy: 60 kB is already absurd.
            query = "?" + hostile.urlencode_raw([(param["name"], value[:60_000])]).decode()
            # A surrogate cannot travel in a URL (its bytes decode as U+FFFD): only NUL can.
            expected = {422} if label == "nul" else None
            queries.append((f"query {param['name']}={label}", fill(op, region), base_bytes,
                            query, expected))  # fmt: skip
    await batch(queries)
    if schema is None:
        return
    bodies: list[tuple[str, str, bytes | None, str, set[int] | None]] = []
    for label, value in hostile.VALUES.items():
        bodies.append((f"body={label}", fill(op, region), hostile.encode(value), "", None))
    bodies.append(("body not JSON", fill(op, region), b'{"title": "x",', "", {422}))
    bodies.append(("body unknown field", fill(op, region),
                   hostile.encode({**(base or {}), "pf_unknown": 1}), "", None))  # fmt: skip
    for field_path in hostile.field_paths(schema, document):
        for label, value in hostile.VALUES.items():
            changed = hostile.with_value(base, field_path, value)
            if changed is None:
                continue
            expected = {422} if label in hostile.UNSTORABLE_TEXT else None
            where = ".".join(map(str, field_path))
            bodies.append((f"{where}={label}", fill(op, region), hostile.encode(changed), "",
                           expected))  # fmt: skip
    await batch(bodies)


async def test_every_endpoint_survives_the_corpus(app: FastAPI, sink: SmtpSink) -> None:
    async with client_of(app) as api:
        region = await build_region(api)
        document = app.openapi()
        verdicts = Verdicts()
        for op in operations(document):
            await attack_operation(region, document, op, verdicts)
        assert not verdicts.failures, (
            f"{len(verdicts.failures)} of {verdicts.count}:\n" + "\n".join(verdicts.failures[:60])
        )
        await settled(region)
        await check_email(sink)


async def check_email(sink: SmtpSink) -> None:
    """Stored hostile text reached email: never as a header of its own, never as live HTML."""
    # Fields that reach a header (a title in the subject, addresses) refuse CR/LF (422);
    # the HTML title was stored, so it is in bodies to look at.
    for _ in range(100):
        messages = sink.messages
        if any(hostile.XSS in str(m["Subject"]) for m in messages):
            break
        await asyncio.sleep(0.1)
    html_bodies = [part.get_content() for m in messages if (part := m.get_body(("html",)))]
    assert any("pf-xss" in html for html in html_bodies)
    for message in messages:
        assert "X-Injected" not in message, message["Subject"]
        for key, value in message.items():
            assert "\n" not in str(value).replace("\n ", "").strip("\n"), (key, value)
        html = message.get_body(("html",))
        if html is not None:
            assert '<script>alert("pf-xss")' not in html.get_content()
            assert "<img src=x onerror" not in html.get_content()


# --- the pages -----------------------------------------------------------------------------


async def page_session(app: FastAPI, email: str, password: str) -> AsyncClient:
    browser = client_of(app)
    form = await browser.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text
    fields = {"email": email, "password": password, "csrf_token": token[1]}
    response = await browser.post("/login", data=fields)
    assert response.status_code == 303, response.text
    return browser


def _query_params(dependant: Dependant) -> list[Any]:
    """A route's query parameters, its dependencies' included."""
    nested = [p for sub in dependant.dependencies for p in _query_params(sub)]
    return [*dependant.query_params, *nested]


def page_paths(app: FastAPI, region: Region) -> list[tuple[str, list[str]]]:
    """Every GET page of the route table, ids filled in, with the query parameters it reads."""
    found = []
    # The pages are an application of their own, mounted beside the API's routes.
    (pages,) = [route.app for route in app.router.routes if isinstance(route, PagesMount)]
    for context in iter_route_contexts(pages.router.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or route.include_in_schema:
            continue
        if "GET" not in route.methods or route.path.startswith(("/docs", "/redoc", "/openapi")):
            continue
        path = route.path
        for name, value in {**region.ids, "pilot_id": region.pilots["matching"],
                            "token": "forged.token"}.items():  # fmt: skip
            path = path.replace("{" + name + "}", value)
        # Flat: a page's filters may come through a dependency (the downloads' list filters).
        found.append((path, [param.alias for param in _query_params(route.dependant)]))
    assert found, "no page found in the route table"
    return found


async def crawl(browser: AsyncClient, *starts: str, limit: int = 40) -> list[tuple[str, str]]:
    """Pages reachable from `starts` by their links: (path, html)."""
    seen: dict[str, str] = {}
    queue = list(starts)
    while queue and len(seen) < limit:
        path = queue.pop(0).split("#")[0]
        if path in seen or path.startswith(("/static", "/logout", "/api", "/docs")):
            continue
        response = await browser.get(path, follow_redirects=True)
        seen[path] = response.text if response.status_code == 200 else ""
        parser = hostile.PageParser()
        parser.feed(seen[path])
        queue.extend(link for link in parser.links if "/history" not in link)
    return list(seen.items())


async def test_every_page_and_form_survives_the_corpus(app: FastAPI) -> None:
    api = client_of(app)
    region = await build_region(api)
    sessions = {
        "admin": await page_session(app, *ADMIN),
        "officer": await page_session(app, "officer@lille.example", PASSWORD),
        "company": await page_session(app, "team@lumen.example", PASSWORD),
    }
    verdicts = Verdicts()
    try:
        for browser in sessions.values():
            for path, query_names in page_paths(app, region):
                for name in [*query_names, "next"]:
                    for label, value in hostile.TEXT.items():
                        query = hostile.urlencode_raw([(name, value[:60_000])]).decode()
                        response = await browser.get(f"{path}?{query}")
                        verdicts.check(f"GET {path}?{name}={label}", response)
        # Every role's forms first, then the attack: an admin's cancel would hide the rest.
        forms: list[tuple[str, str, hostile.Form]] = []
        pilot_pages = [f"/pilots/{pilot}" for pilot in region.pilots.values()]
        amend_pages = [f"{page}/amend" for page in pilot_pages]
        for role, browser in sessions.items():
            for path, html in await crawl(browser, "/", *pilot_pages, *amend_pages):
                parser = hostile.PageParser()
                parser.feed(html)
                forms += [(role, path, form) for form in parser.forms]
        forms.sort(key=lambda item: item[2].action.endswith(("withdraw", "cancel", "decide")))
        # NUL in any field of any form: refused (422), and the region is as it was.
        before = await settled(region)
        for role, path, form in forms:
            for name, _ in form.fields:
                if name != "csrf_token" and form.action not in ("/logout", "/language"):
                    body = hostile.urlencode_raw(form.with_value(name, "a\x00b"))
                    response = await sessions[role].post(
                        form.action or path,
                        content=body,
                        headers={"content-type": "application/x-www-form-urlencoded"},
                    )
                    verdicts.check(f"{role} POST {form.action} {name}=nul", response, {422})
        assert await snapshot(region) == before, "refused forms changed the region"
        for role, path, form in forms:
            if form.action in ("/logout", "/language"):
                continue
            for name, _ in form.fields:
                if name == "csrf_token":
                    continue
                for label, value in hostile.TEXT.items():
                    body = hostile.urlencode_raw(form.with_value(name, value))
                    response = await sessions[role].post(
                        form.action or path,
                        content=body,
                        headers={"content-type": "application/x-www-form-urlencoded"},
                    )
                    verdicts.check(f"{role} POST {form.action} {name}={label}", response)
        # What the corpus stored comes back escaped on every page it shows on.
        for role, browser in sessions.items():
            for path, html in await crawl(browser, "/", *pilot_pages, limit=60):
                assert '<script>alert("pf-xss")' not in html, (role, path)
                assert "<img src=x onerror" not in html, (role, path)
    finally:
        for browser in sessions.values():
            await browser.aclose()
        await api.aclose()
    assert verdicts.count > 500, "the corpus hardly ran"
    assert not verdicts.failures, f"{len(verdicts.failures)} of {verdicts.count}:\n" + "\n".join(
        verdicts.failures[:60]
    )
