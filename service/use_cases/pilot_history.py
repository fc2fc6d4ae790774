"""What happened to a pilot: its audit trail, its Temporal history, its email.

Each endpoint's function checks that the user may see the pilot (404 if not); the `*_of`
functions take a pilot already checked, so a caller that joins several parts (the audit
export) reads the pilot's row once.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from core.disclosure import EventView, relation_of, view_event
from core.models import AuditEvent, Notification, NotificationStatus, User
from core.pilot_repository import PilotRepository
from core.settings import Settings
from service.pilots import pilot_state, viewer_of, visible_pilot
from service.schemas.pilots import (
    EventPublic,
    NotificationPublic,
    PersonActor,
    SystemActor,
    WorkflowHistoryPublic,
)
from service.workflow_history import summarise_history, temporal_ui_url
from workflows.contracts import PilotState, workflow_id


async def list_events(session: AsyncSession, user: User, pilot_id: str) -> list[EventPublic]:
    """The audit trail as this user may read it (core.disclosure): one entry per transition."""
    state = pilot_state(await visible_pilot(session, user, pilot_id))
    return await events_of(session, user, state)


async def events_of(session: AsyncSession, user: User, state: PilotState) -> list[EventPublic]:
    """list_events for a pilot this user has been checked to see."""
    relation = relation_of(state, viewer_of(user))
    events = await PilotRepository(session).audit_trail(state.pilot_id)
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


async def workflow_history(
    session: AsyncSession, client: Client, settings: Settings, admin: User, pilot_id: str
) -> WorkflowHistoryPublic:
    """The Temporal event history, summarised, and its page in the Temporal Web UI."""
    await visible_pilot(session, admin, pilot_id)
    return await workflow_history_of(client, settings, pilot_id)


async def workflow_history_of(
    client: Client, settings: Settings, pilot_id: str
) -> WorkflowHistoryPublic:
    """workflow_history for a pilot the admin has been checked to see."""
    history = await client.get_workflow_handle(workflow_id(pilot_id)).fetch_history()
    return WorkflowHistoryPublic(
        events=summarise_history(history),
        temporal_ui_url=temporal_ui_url(settings, workflow_id(pilot_id)),
    )


async def list_notifications(
    session: AsyncSession, admin: User, pilot_id: str
) -> list[Notification]:
    """Every email the pilot caused, bodies included, with its delivery status."""
    await visible_pilot(session, admin, pilot_id)
    return await notifications_of(session, pilot_id)


async def notifications_of(session: AsyncSession, pilot_id: str) -> list[Notification]:
    """list_notifications for a pilot the admin has been checked to see."""
    return list(await PilotRepository(session).notifications(pilot_id))


def notification_public(notification: Notification) -> NotificationPublic:
    """An email as GET .../notifications shows it: its recipient, subject and delivery."""
    return NotificationPublic(
        id=notification.id,
        to=notification.to_address,
        template=notification.template,
        subject=notification.subject,
        status=NotificationStatus(notification.status),
        attempts=notification.attempts,
        last_error=notification.last_error,
        sent_at=notification.sent_at,
        created_at=notification.created_at,
    )
