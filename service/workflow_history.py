"""Temporal's event history made readable for admins."""

from datetime import UTC
from typing import Any
from urllib.parse import quote

from google.protobuf.json_format import MessageToDict
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from core.settings import Settings
from service.schemas.pilots import HistoryEvent

# Payloads are encoded data, long and unreadable here: the audit trail shows what they meant.
_DROPPED = {"input", "result", "header", "lastCompletionResult", "details", "memo", "identity"}
_PREFIX = "EVENT_TYPE_"


def temporal_ui_url(settings: Settings, workflow_id: str) -> str:
    namespace = quote(settings.temporal_namespace, safe="")
    base = settings.effective_temporal_ui_url
    return f"{base}/namespaces/{namespace}/workflows/{quote(workflow_id, safe='')}"


def summarise_history(history: WorkflowHistory) -> list[HistoryEvent]:
    return [
        HistoryEvent(
            event_id=event.event_id,
            time=event.event_time.ToDatetime(tzinfo=UTC),
            type=EventType.Name(event.event_type).removeprefix(_PREFIX).lower(),
            details=_details(event),
        )
        for event in history.events
    ]


def _details(event: Any) -> dict[str, Any]:
    attributes = event.WhichOneof("attributes")
    if attributes is None:
        return {}
    raw = MessageToDict(getattr(event, attributes))
    return {key: value for key, value in raw.items() if key not in _DROPPED}
