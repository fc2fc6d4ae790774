"""The API's Temporal client, connected on first use so the API runs while Temporal is down."""

import asyncio
import contextlib
import logging
from datetime import timedelta

from temporalio.client import Client

from core import temporal_client
from core.settings import Settings
from service.errors import Unavailable
from workflows.messages import N_

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5.0
HEALTH_TIMEOUT = timedelta(seconds=2)


class TemporalConnector:
    """Connects once, keeps the client, and retries on the next call if it could not."""

    def __init__(self, settings: Settings, *, client: Client | None = None) -> None:
        self._settings = settings
        self._address = settings.temporal_address
        self._client = client
        self._lock = asyncio.Lock()

    def use(self, client: Client) -> None:
        """Use this client from now on (tests pass the test server's)."""
        self._client = client

    async def get(self) -> Client:
        """The connected client; Unavailable if the Temporal server cannot be reached."""
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                self._client = await self._connect()
        return self._client

    async def _connect(self) -> Client:
        try:
            return await asyncio.wait_for(
                temporal_client.connect(self._settings),
                CONNECT_TIMEOUT_SECONDS,
            )
        # The SDK reports a failed connection as RuntimeError, RPCError or a timeout.
        except Exception as error:
            logger.warning("Temporal at %s unreachable: %s", self._address, error)
            raise Unavailable(N_("the Temporal server cannot be reached")) from error

    async def healthy(self) -> bool:
        """Whether the Temporal server answers its health check now."""
        try:
            client = await self.get()
            return await client.service_client.check_health(timeout=HEALTH_TIMEOUT)
        except Exception as error:
            logger.warning("Temporal health check failed: %s", error)
            return False

    async def warm_up(self) -> None:
        """Connect ahead of the first request, quietly: a failure is retried on use."""
        with contextlib.suppress(Unavailable):
            await self.get()
