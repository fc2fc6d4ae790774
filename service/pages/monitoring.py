"""What the programme team checks: a pilot's Temporal history and email, the dev mailbox, health."""

import asyncio

from fastapi import Request
from fastapi.responses import Response

from core.mailbox import read_mailbox
from service.deps import (
    SessionDep,
    SessionmakerDep,
    SettingsDep,
    TemporalClientDep,
    TemporalConnectorDep,
)
from service.pages.rendering import render
from service.pages.routing import page_router
from service.pages.session import PageAdmin
from service.readiness import check_all, polling_workers
from service.schemas.common import IdPath
from service.use_cases import pilot_history, pilots

router = page_router(prefix="/admin")

MAILBOX_SHOWN = 50


@router.get("/pilots/{pilot_id}/history")
async def workflow_history(
    *,
    request: Request,
    pilot_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    client: TemporalClientDep,
    admin: PageAdmin,
) -> Response:
    """The pilot's raw Temporal event history, summarised, with its Web UI link."""
    history = await pilot_history.workflow_history(session, client, settings, admin, pilot_id)
    pilot = await pilots.read_pilot(session, admin, pilot_id)
    return render(request, "admin/history.html", {"pilot": pilot, "history": history})


@router.get("/pilots/{pilot_id}/emails")
async def emails(
    *, request: Request, pilot_id: IdPath, session: SessionDep, admin: PageAdmin
) -> Response:
    """Every email the pilot caused, with its status, shown as it was sent."""
    # As GET .../notifications, with the bodies that its JSON leaves out.
    rows = await pilot_history.list_notifications(session, admin, pilot_id)
    pilot = await pilots.read_pilot(session, admin, pilot_id)
    return render(request, "admin/emails.html", {"pilot": pilot, "emails": rows})


@router.get("/mailbox")
async def mailbox(*, request: Request, settings: SettingsDep, _admin: PageAdmin) -> Response:
    """What the local SMTP sink received, newest first."""
    mailbox_dir = settings.data_dir / "mailbox"
    entries = await asyncio.to_thread(read_mailbox, mailbox_dir, limit=MAILBOX_SHOWN)
    context = {
        "entries": entries,
        "mailbox_dir": str(mailbox_dir),
        "embedded": settings.embedded_smtp_sink,
        "limit": MAILBOX_SHOWN,
    }
    return render(request, "admin/mailbox.html", context)


@router.get("/health")
async def health(
    *,
    request: Request,
    settings: SettingsDep,
    sessions: SessionmakerDep,
    temporal: TemporalConnectorDep,
    _admin: PageAdmin,
) -> Response:
    """The database, Temporal and SMTP, as /readyz checks them, and the workers polling."""
    checks = await check_all(settings, sessions, temporal)
    workers = await polling_workers(temporal, settings) if checks["temporal"] else None
    return render(request, "admin/health.html", {"checks": checks, "workers": workers})
