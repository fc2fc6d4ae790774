"""The API's Temporal client: connected on first use, 503 while the server is unreachable."""

from typing import Any

import pytest

from core.settings import Settings
from service.errors import Unavailable
from service.temporal import TemporalConnector
from tests.service.conftest import free_port


def unreachable() -> Settings:
    return Settings(_env_file=None, temporal_address=f"127.0.0.1:{free_port()}")


async def test_unreachable_server_is_unavailable() -> None:
    connector = TemporalConnector(unreachable())
    with pytest.raises(Unavailable):
        await connector.get()
    assert await connector.healthy() is False
    await connector.warm_up()  # quiet: the next use tries again


async def test_a_given_client_is_used() -> None:
    client: Any = object()
    connector = TemporalConnector(unreachable())
    connector.use(client)
    assert await connector.get() is client
