"""The coded values cross Temporal as the strings they always were, and come back as enums."""

import json
from datetime import date, datetime

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory

from activities.matching import MatchingActivities
from activities.notifications import NotificationActivities
from activities.read_model import ReadModelActivities
from core.temporal_client import DATA_CONVERTER
from tests.support.histories import HISTORIES_DIR
from workflows.contracts import (
    Audience,
    CandidateStatus,
    EventKind,
    NotificationRequest,
    Outcome,
    PilotState,
    ReportingParty,
    ReviewRequest,
    SystemKind,
    TransitionRecord,
    WaitingOn,
    timer_actor,
)

CONVERTER = DATA_CONVERTER.payload_converter
HISTORY = HISTORIES_DIR / "full_path_to_generalization.json"
# The activity types the recorded histories schedule.
RECORD_TRANSITION = "record_transition"
SEND_NOTIFICATION = "send_notification"


def _scheduled_inputs(activity: str) -> list[Payload]:
    history = WorkflowHistory.from_json("pilot-full", HISTORY.read_text())
    return [
        event.activity_task_scheduled_event_attributes.input.payloads[0]
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
        and event.activity_task_scheduled_event_attributes.activity_type.name == activity
    ]


def _as_recorded(written: object, recorded: object) -> object:
    """`written` cut to the keys `recorded` has: fields added since it was recorded left out."""
    if isinstance(written, dict) and isinstance(recorded, dict):
        return {k: _as_recorded(written.get(k), v) for k, v in recorded.items()}
    if isinstance(written, list) and isinstance(recorded, list):
        return [_as_recorded(w, r) for w, r in zip(written, recorded, strict=True)]
    if isinstance(written, str) and isinstance(recorded, str) and _same_instant(written, recorded):
        return recorded
    return written


def _same_instant(written: str, recorded: str) -> bool:
    """Pydantic writes UTC as `Z` where the default converter wrote `+00:00`: one instant."""
    try:
        return datetime.fromisoformat(written) == datetime.fromisoformat(recorded)
    except ValueError:
        return False


def _same_json(again: Payload, recorded: Payload) -> bool:
    original = json.loads(recorded.data)
    return _as_recorded(json.loads(again.data), original) == original


def _round_trip(payload: Payload, kind: type[object]) -> tuple[object, Payload]:
    [value] = CONVERTER.from_payloads([payload], [kind])
    [again] = CONVERTER.to_payloads([value])
    return value, again


def test_a_recorded_transition_reads_as_enums_and_writes_the_same_json() -> None:
    payloads = _scheduled_inputs(RECORD_TRANSITION)
    assert payloads, "the history records transitions"
    last: TransitionRecord | None = None
    for payload in payloads:
        value, again = _round_trip(payload, TransitionRecord)
        assert _same_json(again, payload)
        assert isinstance(value, TransitionRecord)
        last = value
        assert isinstance(value.kind, EventKind)
    assert last is not None
    state = last.state
    assert state.proposal.desired_start == date(2046, 12, 20)  # recorded as an ISO string
    assert state.outcome is Outcome.GENERALIZE
    statuses = {c.status for c in state.candidates}
    assert CandidateStatus.SELECTED in statuses
    assert all(isinstance(s, CandidateStatus) for s in statuses)


def test_every_kind_the_history_records_is_an_event_kind() -> None:
    kinds = {json.loads(p.data)["kind"] for p in _scheduled_inputs(RECORD_TRANSITION)}
    assert {"submitted", "reviewed", "decided", "generalization_offered"} <= kinds
    assert all(EventKind(kind).value == kind for kind in kinds)


def test_progress_reports_count_by_party_and_write_the_party_strings() -> None:
    [recorded] = _scheduled_inputs(RECORD_TRANSITION)[-1:]
    state = json.loads(recorded.data)["state"]
    state["progress_reports"] = {"town": 2, "partner": 1}
    payload = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(state).encode())
    value, again = _round_trip(payload, PilotState)
    assert isinstance(value, PilotState)
    assert value.progress_reports == {ReportingParty.TOWN: 2, ReportingParty.PARTNER: 1}
    assert all(isinstance(party, ReportingParty) for party in value.progress_reports)
    assert json.loads(again.data)["progress_reports"] == {"town": 2, "partner": 1}


def test_a_recorded_notification_reads_its_audiences_as_enums() -> None:
    payloads = _scheduled_inputs(SEND_NOTIFICATION)
    assert payloads
    for payload in payloads:
        value, again = _round_trip(payload, NotificationRequest)
        assert _same_json(again, payload)
        assert isinstance(value, NotificationRequest)
        assert value.audiences and all(isinstance(a, Audience) for a in value.audiences)


def test_members_are_written_as_their_strings() -> None:
    [payload] = CONVERTER.to_payloads([timer_actor()])
    assert json.loads(payload.data)["system"] == "timer"
    assert json.loads(payload.data) == {
        "role": "system",
        "user_id": None,
        "town_id": None,
        "company_id": None,
        "system": SystemKind.TIMER.value,
    }
    assert WaitingOn.TOWN.value == "town"


def test_an_unknown_decision_still_reaches_the_validator() -> None:
    """Decisions cross as str: an unknown one is refused as invalid, not undecodable."""
    [payload] = CONVERTER.to_payloads([{"actor": {"role": "admin"}, "decision": "maybe"}])
    [request] = CONVERTER.from_payloads([payload], [ReviewRequest])
    assert isinstance(request, ReviewRequest) and request.decision == "maybe"


def test_an_unknown_status_is_refused_on_reading() -> None:
    payload = Payload(metadata={"encoding": b"json/plain"}, data=b'"lost"')
    with pytest.raises(Exception, match="lost"):
        CONVERTER.from_payloads([payload], [CandidateStatus])


def test_activity_names_are_the_ones_histories_hold() -> None:
    """Activities are registered and called under their methods' names: renaming one would
    leave every running pilot's scheduled activity without a worker."""
    names = {
        ReadModelActivities.record_transition.__name__,
        MatchingActivities.find_candidates.__name__,
        NotificationActivities.send_notification.__name__,
    }
    assert names == _scheduled_activity_types()
    assert names == {RECORD_TRANSITION, "find_candidates", SEND_NOTIFICATION}


def _scheduled_activity_types() -> set[str]:
    history = WorkflowHistory.from_json("pilot-full", HISTORY.read_text())
    return {
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    }
