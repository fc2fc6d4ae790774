"""What happened to a pilot: its audit trail, its Temporal history, its email."""

from typing import Any

from fastapi import APIRouter

from core.models import AuditEvent, User
from core.pilot_repository import PilotRepository
from service.deps import AdminUser, CurrentUser, SessionDep, SettingsDep, TemporalClientDep
from service.errors import error_responses
from service.pilots import visible_pilot, workflow_id
from service.schemas.common import IdPath
from service.schemas.pilots import EventPublic, NotificationPublic, WorkflowHistoryPublic
from service.workflow_history import summarise_history, temporal_ui_url
from workflows.stages import Role

router = APIRouter(
    prefix="/api/v1/pilots/{pilot_id}",
    tags=["pilot history"],
    responses=error_responses(401, 404),
)

# What other companies said or were offered is not a company's to read.
_COMPANY_HIDDEN_DATA = ("company_ids", "expired")


@router.get("/events")
async def list_events(
    *, pilot_id: IdPath, session: SessionDep, user: CurrentUser
) -> list[EventPublic]:
    """The audit trail: one entry per transition and per action, in order."""
    await visible_pilot(session, user, pilot_id)
    events = await PilotRepository(session).audit_trail(pilot_id)
    return [_public_event(e, user) for e in events if _shown(e, user)]


def _shown(event: AuditEvent, user: User) -> bool:
    if user.role != Role.COMPANY or event.kind != "answered":
        return True
    return event.data.get("company_id") == user.company_id


def _public_event(event: AuditEvent, user: User) -> EventPublic:
    data: dict[str, Any] = dict(event.data)
    if user.role == Role.COMPANY:
        for key in _COMPANY_HIDDEN_DATA:
            data.pop(key, None)
    return EventPublic(
        seq=event.seq,
        at=event.at,
        kind=event.kind,
        stage=event.stage,
        actor=event.actor,  # type: ignore[arg-type]
        data=data,
    )


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
    await visible_pilot(session, admin, pilot_id)
    history = await client.get_workflow_handle(workflow_id(pilot_id)).fetch_history()
    return WorkflowHistoryPublic(
        events=summarise_history(history),
        temporal_ui_url=temporal_ui_url(settings, workflow_id(pilot_id)),
    )


@router.get("/notifications", responses=error_responses(403))
async def list_notifications(
    *, pilot_id: IdPath, session: SessionDep, admin: AdminUser
) -> list[NotificationPublic]:
    """Every email the pilot caused, with its delivery status (admin)."""
    await visible_pilot(session, admin, pilot_id)
    return [
        NotificationPublic(
            id=n.id,
            to=n.to_address,
            template=n.template,
            subject=n.subject,
            status=n.status,  # type: ignore[arg-type]
            attempts=n.attempts,
            last_error=n.last_error,
            sent_at=n.sent_at,
            created_at=n.created_at,
        )
        for n in await PilotRepository(session).notifications(pilot_id)
    ]
