"""The FastAPI application: wiring only. Run with `uvicorn --factory service.main:create_app`."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.bootstrap import ensure_first_admin
from core.db import create_engine, create_sessionmaker
from core.garbage_collection import startup_objects_frozen
from core.settings import Settings, get_settings
from service.errors import register_error_handlers
from service.input_guard import InputGuardMiddleware
from service.load_shedding import LoadSheddingMiddleware
from service.pages.app import mount_pages
from service.request_context import NO_TELEMETRY, RequestContextMiddleware, bind_pilot_id
from service.routes import (
    admin,
    auth,
    companies,
    exports,
    health,
    imports,
    lead_times,
    pilot_actions,
    pilot_history,
    pilots,
    themes,
    towns,
    users,
)
from service.temporal import TemporalConnector
from service.throttle import AttemptLimits, HashingPool
from service.use_cases.accounts import AccountGuards

logger = logging.getLogger(__name__)

# Bodies of this API are small JSON documents; anything larger is refused with 413.
MAX_BODY_BYTES = 1_000_000
BOOTSTRAP_TIMEOUT_SECONDS = 10.0
BOOTSTRAP_RETRY_SECONDS = 5.0
# Routers are tried in this order, each route of each in turn: the pilots', which most
# requests are for, first (routing was 6 % of a read's CPU behind the other routers').
ROUTERS = (
    exports.router,  # before pilots': `/pilots/export` is no pilot's id
    pilots.router,
    pilot_actions.router,
    pilot_history.router,
    health.router,
    auth.router,
    users.router,
    themes.router,
    towns.router,
    companies.router,
    admin.router,
    lead_times.router,
    imports.router,
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the database, seed the first admin, and start connecting to Temporal."""
    settings: Settings = app.state.settings
    engine = create_engine(settings.effective_database_url)
    sessions = app.state.sessions = create_sessionmaker(engine)
    connector: TemporalConnector = app.state.temporal
    background = [asyncio.create_task(connector.warm_up())]
    # The API starts even if the database is not up yet (readyz says so); the admin follows.
    if not await _ensure_first_admin(sessions, settings):
        background.append(asyncio.create_task(_retry_first_admin(sessions, settings)))
    try:
        with startup_objects_frozen():
            yield
    finally:
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await engine.dispose()


async def _ensure_first_admin(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> bool:
    try:
        await asyncio.wait_for(ensure_first_admin(sessions, settings), BOOTSTRAP_TIMEOUT_SECONDS)
    except Exception as error:
        logger.warning("cannot ensure the first admin yet: %r", error)
        return False
    return True


async def _retry_first_admin(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    while True:
        await asyncio.sleep(BOOTSTRAP_RETRY_SECONDS)
        if await _ensure_first_admin(sessions, settings):
            return


def create_app(settings: Settings | None = None) -> FastAPI:
    """The pilotflow API for these settings (by default, the environment's)."""
    app = FastAPI(
        title="pilotflow",
        summary="Runs a region's pilot experiments as durable Temporal workflows.",
        version="1",
        lifespan=lifespan,
        max_body_size=MAX_BODY_BYTES,
        dependencies=[Depends(bind_pilot_id)],
        telemetry=NO_TELEMETRY,
    )
    app.state.settings = settings or get_settings()
    app.state.temporal = TemporalConnector(app.state.settings)
    app.state.account_guards = AccountGuards(
        AttemptLimits(app.state.settings), HashingPool(app.state.settings)
    )
    register_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    mount_pages(app)  # last: the API's routes answer first
    app.add_middleware(InputGuardMiddleware, max_body=MAX_BODY_BYTES)
    app.add_middleware(LoadSheddingMiddleware, max_in_flight=app.state.settings.api_max_in_flight)
    app.add_middleware(RequestContextMiddleware)  # outermost: its id is on every line
    return app
