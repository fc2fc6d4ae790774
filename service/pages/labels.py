"""Readable names for the codes the pages show: stages, statuses, roles, audit entries."""

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

STAGE = {
    "submitted": "Submitted",
    "changes_requested": "Changes requested",
    "matching": "Partner matching",
    "trial_scheduled": "Trial scheduled",
    "trial_running": "Trial running",
    "evaluation": "Evaluation",
    "closed": "Closed",
    "rejected": "Rejected",
    "unmatched": "No partner found",
    "withdrawn": "Withdrawn",
    "cancelled": "Cancelled",
}
CANDIDATE = {
    "invited": "Invited, no answer yet",
    "interested": "Interested",
    "declined": "Not interested",
    "expired": "No answer in time",
    "selected": "Chosen partner",
    "not_selected": "Not chosen",
}
ROLE = {"admin": "Programme team", "town_officer": "Town officer", "company": "Company"}
WAITING_ON = {"admin": "the programme team", "town": "the town", "companies": "the companies"}
DECISION = {
    "approve": "Approve",
    "request_changes": "Request changes",
    "reject": "Reject",
    "generalize": "Generalize",
    "extend": "Extend the trial",
    "stop": "Stop",
}
EVENT = {
    "submitted": "Pilot submitted",
    "amended": "Proposal amended and resubmitted",
    "reviewed": "Proposal reviewed",
    "review_reminder": "Review reminder sent to the programme team",
    "companies_invited": "Companies invited",
    "invitation_reminder": "Invitation reminder sent",
    "responses_closed": "Response deadline passed",
    "answered": "Company answered",
    "partner_selected": "Partner chosen",
    "trial_started": "Trial started",
    "checkin_requested": "Progress report requested",
    "progress_reported": "Progress reported",
    "trial_ended": "Trial ended",
    "evaluation_reminder": "Evaluation reminder sent",
    "evaluation_submitted": "Evaluation submitted",
    "decided": "Decision taken",
    "generalization_offered": "Offered to the other towns",
    "withdrawn": "Pilot withdrawn",
    "cancelled": "Pilot cancelled",
    "rejected": "Pilot rejected",
    "unmatched": "No partner found",
}
EMAIL_STATUS = {
    "queued": "Queued",
    "sending": "Being sent",
    "sent": "Sent",
    "failed": "Failed",
}
LOCALE = {"fr": "Français", "en": "English"}

LABELS: dict[str, dict[str, str]] = {
    "stage": STAGE,
    "candidate": CANDIDATE,
    "role": ROLE,
    "waiting_on": WAITING_ON,
    "decision": DECISION,
    "event": EVENT,
    "email_status": EMAIL_STATUS,
    "locale": LOCALE,
}


@pass_context
def label(context: Context, value: Any, kind: str) -> str:
    """`{{ pilot.stage | label("stage") }}`: the code's name in the reader's language."""
    if value is None:
        return ""
    text = LABELS[kind].get(str(value), str(value))
    return str(context["_"](text))
