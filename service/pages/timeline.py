"""A pilot's audit trail as a timeline: who, when, what, and the details that matter."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from service.schemas.pilots import EventPublic, PersonActor, SystemActor
from workflows.contracts import ReportingParty, SystemKind
from workflows.messages import N_

Format = Literal["text", "number", "datetime", "decision", "yes_no", "list", "measurements"]

# Each data key the workflow records: its label and how to show its value.
_DETAILS: dict[str, tuple[str, Format]] = {
    "title": (N_("Title"), "text"),
    "decision": (N_("Decision"), "decision"),
    "recommendation": (N_("Recommendation"), "decision"),
    "comment": (N_("Comment"), "text"),
    "reason": (N_("Reason"), "text"),
    "interested": (N_("Interested"), "yes_no"),
    "message": (N_("Offer"), "text"),
    "note": (N_("Note"), "text"),
    "lessons": (N_("Lessons"), "text"),
    "satisfaction": (N_("Satisfaction (1 to 5)"), "number"),
    "extension_days": (N_("Extension (days)"), "number"),
    "trial_start": (N_("Trial start"), "datetime"),
    "round": (N_("Round"), "number"),
    "reminder": (N_("Reminder"), "number"),
    "checkin": (N_("Report"), "number"),
    "company_id": (N_("Company"), "text"),
    "company_ids": (N_("Companies"), "list"),
    "expired": (N_("Without an answer"), "list"),
    "measurements": (N_("Measurements"), "measurements"),
    "kpi_results": (N_("Results"), "measurements"),
    "parties": (N_("Not reported yet"), "list"),
}
_COMPANY_KEYS = ("company_id", "company_ids", "expired")
ANOTHER_COMPANY = N_("another company")
# Whom a check-in's reminder went to: the parties that had not reported.
PARTIES: dict[str, str] = {
    ReportingParty.TOWN: N_("the town"),
    ReportingParty.PARTNER: N_("the partner"),
}


@dataclass
class Detail:
    label: str
    value: Any
    format: Format


@dataclass
class Entry:
    at: datetime
    kind: str
    stage: str
    actor: str
    actor_role: str | None
    details: list[Detail] = field(default_factory=list)


def describe(
    events: list[EventPublic], companies: dict[str, str], users: dict[str, str]
) -> list[Entry]:
    """Each event with its actor's name and its data in the order of `_DETAILS`."""
    return [
        Entry(
            at=event.at,
            kind=event.kind,
            stage=event.stage,
            actor=_actor(event, users),
            actor_role=event.actor.role if isinstance(event.actor, PersonActor) else None,
            details=_details(event.data, companies),
        )
        for event in events
    ]


def _actor(event: EventPublic, users: dict[str, str]) -> str:
    actor = event.actor
    if isinstance(actor, SystemActor):
        return N_("Automatic, on a deadline") if actor.system == SystemKind.TIMER else "pilotflow"
    if actor.user_id is None:
        # Another town reads who acted by role only (core.disclosure): no name, no address.
        return "" if actor.role else "pilotflow"
    return users.get(actor.user_id, actor.user_id)


def _details(data: dict[str, Any], companies: dict[str, str]) -> list[Detail]:
    details = []
    for key, (label, format_) in _DETAILS.items():
        value = data.get(key)
        if value is None or value == "" or value == []:
            continue
        if key in _COMPANY_KEYS:
            value = _company_names(value, companies)
        elif key == "parties" and isinstance(value, list):
            value = [PARTIES.get(str(party), str(party)) for party in value]
        elif format_ == "measurements":
            value = [(m.get("kpi"), m.get("value")) for m in value if isinstance(m, dict)]
        elif format_ == "datetime" and isinstance(value, str):
            value = datetime.fromisoformat(value)
        details.append(Detail(label, value, format_))
    return details


def _company_names(value: Any, companies: dict[str, str]) -> Any:
    if isinstance(value, list):
        return [companies.get(str(company_id), ANOTHER_COMPANY) for company_id in value]
    return companies.get(str(value), ANOTHER_COMPANY)
