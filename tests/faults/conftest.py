"""One stack per database for the whole folder: each fault test runs its own pilots on it."""

import time
from collections.abc import AsyncIterator

import pytest

from core.db import create_engine, create_sessionmaker
from tests.conftest import (
    POSTGRES_ADMIN_DSN,
    _create_postgres_database,
    _drop_postgres_database,
    _postgres_reachable,
)
from tests.faults.driver import Api, Region
from tests.faults.proxy import CuttableProxy
from tests.faults.scenario import FaultStack
from tests.faults.smtp_server import ControllableSmtpServer
from tests.faults.stack import Stack

SETUP_SECONDS = 120


def _postgres_host_port() -> tuple[str, int]:
    netloc = POSTGRES_ADMIN_DSN.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    host, _, port = netloc.partition(":")
    return host, int(port or 5432)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def fault_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FaultStack]:
    database = request.param
    data_dir = tmp_path_factory.mktemp(f"faults-{database}")
    postgres_name = None
    proxy = None
    sqlite_path = None
    if database == "sqlite":
        sqlite_path = data_dir / "pilotflow.db"
        url = f"sqlite+aiosqlite:///{sqlite_path}"
    else:
        reason = await _postgres_reachable()
        if reason:
            pytest.skip(reason)
        postgres_name, url = await _create_postgres_database()
        proxy = CuttableProxy(*_postgres_host_port())
        await proxy.start()
    smtp = ControllableSmtpServer()
    smtp.start()
    stack = Stack(database, data_dir, url, smtp, proxy)
    engine = create_engine(url)
    api = Api(lambda: list(stack.api_urls.values()))
    try:
        try:
            await stack.start()
            region = await Region.build(api, deadline=time.monotonic() + SETUP_SECONDS)
        except BaseException:
            print(stack.tails())
            raise
        yield FaultStack(stack, region, create_sessionmaker(engine), sqlite_path)
    finally:
        await api.close()
        await stack.stop()
        await engine.dispose()
        smtp.stop()
        if proxy is not None:
            await proxy.stop()
        if postgres_name is not None:
            await _drop_postgres_database(postgres_name)
