"""One place maps errors to HTTP: domain errors, Temporal refusals, database races, bugs."""

import asyncpg
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from core.models import Town
from service.deps import SessionDep, TemporalClientDep
from service.errors import Conflict, from_temporal
from tests.conftest import POSTGRES_ADMIN_DSN
from tests.service.conftest import Headers


def update_refused(kind: str, message: str = "why not") -> WorkflowUpdateFailedError:
    return WorkflowUpdateFailedError(ApplicationError(message, type=kind, non_retryable=True))


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (update_refused("role"), 403),
        (update_refused("hidden"), 404),
        (update_refused("stage"), 409),
        (update_refused("invalid"), 422),
        (update_refused("rate"), 429),
        (RPCError("workflow not found", RPCStatusCode.NOT_FOUND, b""), 404),
        (RPCError("down", RPCStatusCode.UNAVAILABLE, b""), 503),
    ],
)
def test_temporal_errors_map_to_statuses(error: Exception, status: int) -> None:
    mapped = from_temporal(error)
    assert mapped is not None
    assert mapped.status_code == status


def test_a_rate_refusal_is_429_with_when_to_retry() -> None:
    refused = ApplicationError("too many reports", 86399.2, type="rate", non_retryable=True)
    mapped = from_temporal(WorkflowUpdateFailedError(refused))
    assert mapped is not None
    assert (mapped.status_code, mapped.detail) == (429, "too many reports")
    assert mapped.headers == {"Retry-After": "86400"}


def test_other_temporal_failures_are_not_mapped() -> None:
    assert from_temporal(update_refused("boom")) is None
    assert from_temporal(WorkflowUpdateFailedError(RuntimeError("x"))) is None
    assert from_temporal(RPCError("bad", RPCStatusCode.INTERNAL, b"")) is None


@pytest.fixture
def raising_client(app: FastAPI) -> AsyncClient:
    """A client that sees the 500 response instead of the re-raised bug."""
    errors = {
        "stage": update_refused("stage", "cannot review a pilot in stage 'matching'"),
        "invalid": update_refused("invalid", "no such partner"),
        "missing": RPCError("workflow not found", RPCStatusCode.NOT_FOUND, b""),
        "race": IntegrityError("INSERT", {}, Exception("unique")),
        "bug": RuntimeError("a real bug"),
    }

    @app.get("/test/raise/{name}")
    async def raise_it(name: str) -> None:
        raise errors[name]

    transport = ASGITransport(app, raise_app_exceptions=False)
    return AsyncClient(transport=transport, base_url="http://testserver")


@pytest.mark.parametrize(
    ("name", "status", "detail"),
    [
        ("stage", 409, "cannot review a pilot in stage 'matching'"),
        ("invalid", 422, [{"type": "value_error", "loc": ["body"], "msg": "no such partner"}]),
        ("missing", 404, "no such pilot"),
        ("race", 409, "this conflicts with existing data"),
        ("bug", 500, "internal server error"),
    ],
)
async def test_errors_become_json(
    raising_client: AsyncClient, name: str, status: int, detail: object
) -> None:
    async with raising_client:
        response = await raising_client.get(f"/test/raise/{name}")
    assert response.status_code == status
    assert response.json() == {"detail": detail}


async def test_session_commits_only_on_success(app: FastAPI, client: AsyncClient) -> None:
    @app.post("/test/towns/{name}")
    async def add_town(*, name: str, fail: bool = False, session: SessionDep) -> None:
        session.add(Town(name=name))
        await session.flush()
        if fail:
            raise Conflict("changed my mind")

    assert (await client.post("/test/towns/Kept")).status_code == 200
    assert (await client.post("/test/towns/Dropped?fail=true")).status_code == 409
    async with app.state.sessions() as session:
        names = (await session.execute(select(Town.name))).scalars().all()
    assert names == ["Kept"]


async def test_a_failed_commit_is_an_error_response(app: FastAPI, client: AsyncClient) -> None:
    @app.post("/test/unflushed/{name}")
    async def add_unflushed(*, name: str, session: SessionDep) -> dict[str, str]:
        session.add(Town(name=name))  # no flush: the unique violation comes at commit
        return {"status": "created"}

    assert (await client.post("/test/unflushed/Twice")).status_code == 200
    assert (await client.post("/test/unflushed/Twice")).status_code == 409


# PostgreSQL only: a SQLite file's connection has no server to drop it.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_connection_the_server_dropped_is_503_once_then_replaced(
    app: FastAPI, client: AsyncClient
) -> None:
    @app.get("/test/backend")
    async def backend(*, session: SessionDep) -> int:
        return int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())

    first = (await client.get("/test/backend")).json()
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
    finally:
        await admin.close()
    # Used moments ago, so not pinged: the request finds it gone, and says so as the
    # database being out of reach, not as a bug; the next one gets a new connection.
    lost = await client.get("/test/backend")
    assert lost.status_code == 503
    assert lost.json() == {"detail": "the database cannot be reached"}
    again = await client.get("/test/backend")
    assert again.status_code == 200
    assert again.json() != first


async def test_temporal_client_dependency_is_503_when_down(
    app: FastAPI, client: AsyncClient
) -> None:
    @app.get("/test/temporal")
    async def needs_temporal(*, temporal: TemporalClientDep) -> None:
        return None

    response = await client.get("/test/temporal")
    assert response.status_code == 503
    assert response.json() == {"detail": "the Temporal server cannot be reached"}


async def test_a_refusal_s_detail_is_its_english_text_filled_in(
    client: AsyncClient, admin: Headers
) -> None:
    """The API says what it said before refusals were marked for translation, word for word."""
    for _attempt in range(2):
        answer = await client.post("/api/v1/towns", json={"name": "Lille"}, headers=admin)
    assert (answer.status_code, answer.json()) == (409, {"detail": "a town with this name exists"})
    body = {"name": "Acme", "contact_email": "hello@acme.example", "themes": [], "tags": []}
    body["areas"] = ["nosuchtown"]
    answer = await client.post("/api/v1/companies", json=body, headers=admin)
    assert answer.status_code == 422
    assert answer.json()["detail"] == [
        {"type": "value_error", "loc": ["body", "areas"], "msg": "no such town: nosuchtown"}
    ]
