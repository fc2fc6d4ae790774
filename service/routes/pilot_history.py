"""What happened to a pilot: its audit trail, its Temporal history, its email."""

from fastapi import APIRouter

from service.deps import AdminUser, CurrentUser, SessionDep, SettingsDep, TemporalClientDep
from service.errors import error_responses
from service.schemas.common import IdPath
from service.schemas.pilots import EventPublic, NotificationPublic, WorkflowHistoryPublic
from service.use_cases import pilot_history

router = APIRouter(
    prefix="/api/v1/pilots/{pilot_id}",
    tags=["pilot history"],
    responses=error_responses(401, 404),
)


@router.get("/events")
async def list_events(
    *, pilot_id: IdPath, session: SessionDep, user: CurrentUser
) -> list[EventPublic]:
    """The audit trail as this user may read it (core.disclosure): one entry per transition."""
    return await pilot_history.list_events(session, user, pilot_id)


@router.get("/workflow-history", responses=error_responses(403, 503))
async def workflow_history(
    *,
    pilot_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    client: TemporalClientDep,
    admin: AdminUser,
) -> WorkflowHistoryPublic:
    """The Temporal event history, summarised, and its page in the Temporal Web UI (admin)."""
    return await pilot_history.workflow_history(session, client, settings, admin, pilot_id)


@router.get("/notifications", responses=error_responses(403))
async def list_notifications(
    *, pilot_id: IdPath, session: SessionDep, admin: AdminUser
) -> list[NotificationPublic]:
    """Every email the pilot caused, with its delivery status (admin)."""
    notifications = await pilot_history.list_notifications(session, admin, pilot_id)
    return [pilot_history.notification_public(n) for n in notifications]
