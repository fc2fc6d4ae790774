"""Readable names for the codes the pages show: stages, statuses, roles, audit entries.

Each table of a coded value is built from its enum, so a new member needs its label here.
"""

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from jinja2 import pass_context
from jinja2.runtime import Context

from core.models import NotificationStatus
from workflows.contracts import CandidateStatus, Decision, ReviewDecision, WaitingOn
from workflows.stages import Role, Stage

Code = TypeVar("Code", bound=StrEnum)


def _every(codes: type[Code], texts: Mapping[Code, str]) -> dict[str, str]:
    """The texts of every member of `codes`: a member left out fails at import, not on a page."""
    missing = [str(code) for code in codes if code not in texts]
    if missing:
        raise ValueError(f"no label for {codes.__name__} {', '.join(missing)}")
    return {str(code): text for code, text in texts.items()}


STAGE = _every(
    Stage,
    {
        Stage.SUBMITTED: "Submitted",
        Stage.CHANGES_REQUESTED: "Changes requested",
        Stage.MATCHING: "Partner matching",
        Stage.TRIAL_SCHEDULED: "Trial scheduled",
        Stage.TRIAL_RUNNING: "Trial running",
        Stage.EVALUATION: "Evaluation",
        Stage.CLOSED: "Closed",
        Stage.REJECTED: "Rejected",
        Stage.UNMATCHED: "No partner found",
        Stage.WITHDRAWN: "Withdrawn",
        Stage.CANCELLED: "Cancelled",
    },
)
CANDIDATE = _every(
    CandidateStatus,
    {
        CandidateStatus.INVITED: "Invited, no answer yet",
        CandidateStatus.INTERESTED: "Interested",
        CandidateStatus.DECLINED: "Not interested",
        CandidateStatus.EXPIRED: "No answer in time",
        CandidateStatus.SELECTED: "Chosen partner",
        CandidateStatus.NOT_SELECTED: "Not chosen",
    },
)
ROLE = _every(
    Role,
    {Role.ADMIN: "Programme team", Role.TOWN_OFFICER: "Town officer", Role.COMPANY: "Company"},
)
WAITING_ON = _every(
    WaitingOn,
    {
        WaitingOn.ADMIN: "the programme team",
        WaitingOn.TOWN: "the town",
        WaitingOn.COMPANIES: "the companies",
    },
)
DECISION = _every(
    ReviewDecision,
    {
        ReviewDecision.APPROVE: "Approve",
        ReviewDecision.REQUEST_CHANGES: "Request changes",
        ReviewDecision.REJECT: "Reject",
    },
) | _every(
    Decision,
    {Decision.GENERALIZE: "Generalize", Decision.EXTEND: "Extend the trial", Decision.STOP: "Stop"},
)
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
EMAIL_STATUS = _every(
    NotificationStatus,
    {
        NotificationStatus.QUEUED: "Queued",
        NotificationStatus.SENDING: "Being sent",
        NotificationStatus.SENT: "Sent",
        NotificationStatus.FAILED: "Failed",
    },
)
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
