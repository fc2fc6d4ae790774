"""The web pages in a real browser: Debian's Chromium driven by Playwright, against a real
uvicorn server with the real Temporal dev server, a real worker and an SMTP sink on loopback.

SQLite only: the pages add no query of their own (they call the JSON API's use cases,
whose tests run on SQLite and PostgreSQL), and one database keeps these tests
under a minute. Everything is started once for the package; each test signs its people in
in fresh browser profiles.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
import uvicorn
from playwright.async_api import Browser, async_playwright
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from cli.smtp_sink import SmtpSink
from cli.worker import build_worker
from core.db import create_engine, create_sessionmaker, transaction
from core.migrate import upgrade_async
from core.models import Company, Town, User
from core.security import hash_password
from core.settings import Settings
from service.main import create_app
from tests.browser.site import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ARTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    LILLE_OFFICER,
    LUMEN,
    PASSWORD,
    READER,
    ROUBAIX_OFFICER,
    VERDI,
    Api,
    Site,
)
from tests.support.smtp import free_port, running_sink


@pytest.fixture(scope="package")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("region")


@pytest.fixture(scope="package")
def sink(data_dir: Path) -> Iterator[SmtpSink]:
    """The SMTP sink, keeping each message in the mailbox the admin's page reads."""
    with running_sink(data_dir / "mailbox") as smtp:
        yield smtp


@pytest_asyncio.fixture(scope="package")
async def settings(data_dir: Path, sink: SmtpSink) -> Settings:
    database_url = f"sqlite+aiosqlite:///{data_dir / 'pilotflow.db'}"
    await upgrade_async(database_url)
    port = free_port()
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        database_url=database_url,
        api_port=port,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        temporal_task_queue=f"browser-{uuid.uuid4().hex}",
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        secret_key="browser-test-secret",
        # A trial starts at once (desired start today) and lasts long enough to be ended by
        # hand; no reminder or deadline fires while a test runs.
        day_seconds=1.0,
        review_reminder_days=100_000,
        response_days=100_000,
        checkin_period_days=100_000,
        evaluation_reminder_days=100_000,
    )


@pytest_asyncio.fixture(scope="package")
async def sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.effective_database_url)
    sessions = create_sessionmaker(engine)
    await _seed_region(sessions)
    yield sessions
    await engine.dispose()


async def _seed_region(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Two towns, three companies and their people (the admin comes from the settings)."""
    password_hash = await asyncio.to_thread(hash_password, PASSWORD)
    async with transaction(sessions) as session:
        session.add_all([Town(id="lille", name="Lille"), Town(id="roubaix", name="Roubaix")])
        session.add_all(
            [
                _company("lumen", "Lumen", ["efficient-city"], ["lighting", "iot"]),
                _company("verdi", "Verdi Énergie", ["efficient-city"], ["energy"]),
                _company("arts", "Arts & Co", ["creative-city"], ["culture"]),
            ]
        )
        await session.flush()
        people = [
            (LILLE_OFFICER, "Camille Martin", "town_officer", "lille", None),
            (ROUBAIX_OFFICER, "Yanis Benali", "town_officer", "roubaix", None),
            (LUMEN, "Léa Lumen", "company", None, "lumen"),
            (VERDI, "Hugo Verdi", "company", None, "verdi"),
            (ARTS, "Inès Arts", "company", None, "arts"),
            (READER, "Jo Reader", "company", None, "arts"),
        ]
        session.add_all(
            User(
                email=person.email,
                name=name,
                role=role,
                town_id=town,
                company_id=company,
                password_hash=password_hash,
            )
            for person, name, role, town, company in people
        )


def _company(company_id: str, name: str, themes: list[str], tags: list[str]) -> Company:
    return Company(
        id=company_id,
        name=name,
        contact_email=f"contact@{company_id}.example",
        themes=themes,
        tags=tags,
    )


@pytest_asyncio.fixture(scope="package")
async def server_url(
    dev_env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[str]:
    """The app under uvicorn on a free port, and a worker on its task queue, in this loop."""
    app = create_app(settings)
    app.state.temporal.use(dev_env.client)
    config = uvicorn.Config(app, host="127.0.0.1", port=settings.api_port, log_level="warning")
    server = uvicorn.Server(config)
    async with build_worker(dev_env.client, settings, sessions):
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{settings.api_port}"
        server.should_exit = True
        await serving


@pytest_asyncio.fixture(scope="package")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture
async def site(server_url: str, settings: Settings, browser: Browser) -> AsyncIterator[Site]:
    site = Site(server_url, settings, browser)
    yield site
    await site.close_pages()


@pytest.fixture
def api(server_url: str) -> Api:
    return Api(server_url)
