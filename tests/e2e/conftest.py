import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from cli.smtp_sink import SmtpSink
from cli.worker import build_worker
from core.settings import Settings
from service.main import create_app
from tests.support.smtp import running_sink

ADMIN = ("admin@region.example", "admin-password-1")


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with running_sink() as smtp:
        yield smtp


@pytest.fixture
def task_queue() -> str:
    return f"e2e-{uuid.uuid4().hex}"


@pytest.fixture
def settings(database_url: str, sink: SmtpSink, task_queue: str) -> Settings:
    """Settings for the API and its worker: the test database, the sink, a short day."""
    return Settings(
        _env_file=None,
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        temporal_task_queue=task_queue,
        admin_email=ADMIN[0],
        admin_password=ADMIN[1],
        secret_key="e2e-secret",
        day_seconds=0.5,
        review_reminder_days=10_000,
        evaluation_reminder_days=10_000,
        checkin_period_days=1,
    )


@pytest.fixture
async def api(
    settings: Settings,
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncClient]:
    """The API and a worker on the same database and Temporal server."""
    app = create_app(settings)
    app.state.temporal.use(dev_env.client)
    async with (
        build_worker(dev_env.client, settings, sessions),
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app), base_url="http://testserver") as client,
    ):
        yield client
