"""What happened to a pilot: its audit trail, its Temporal history, its email."""

from typing import Any

from fastapi import APIRouter

from core.disclosure import EventView, relation_of, view_event
from core.models import AuditEvent, NotificationStatus
from core.pilot_repository import PilotRepository
from service.deps import AdminUser, CurrentUser, SessionDep, SettingsDep, TemporalClientDep
from service.errors import error_responses
from service.pilots import pilot_state, viewer_of, visible_pilot
from service.schemas.common import IdPath
from service.schemas.pilots import (
    EventPublic,
    NotificationPublic,
    PersonActor,
    SystemActor,
    WorkflowHistoryPublic,
)
from service.workflow_history import summarise_history, temporal_ui_url
from workflows.contracts import workflow_id

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
    state = pilot_state(await visible_pilot(session, user, pilot_id))
    relation = relation_of(state, viewer_of(user))
    events = await PilotRepository(session).audit_trail(pilot_id)
    shown = []
    for event in events:
        view = view_event(event.kind, event.data, event.actor, relation, company_id=user.company_id)
        if view is not None:
            shown.append(_public_event(event, view))
    return shown


def _public_actor(actor: dict[str, Any]) -> PersonActor | SystemActor:
    """An audit entry's actor: `{"system": ...}` for the system, else a person's id and role."""
    if "system" in actor:
        return SystemActor.model_validate(actor)
    return PersonActor.model_validate(actor)


def _public_event(event: AuditEvent, view: EventView) -> EventPublic:
    return EventPublic(
        seq=event.seq,
        at=event.at,
        kind=event.kind,
        stage=event.stage,
        actor=_public_actor(view.actor),
        data=view.data,
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
            status=NotificationStatus(n.status),
            attempts=n.attempts,
            last_error=n.last_error,
            sent_at=n.sent_at,
            created_at=n.created_at,
        )
        for n in await PilotRepository(session).notifications(pilot_id)
    ]
