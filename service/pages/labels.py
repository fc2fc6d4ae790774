"""Readable names for the codes the pages show: stages, statuses, roles, audit entries.

Each table of a coded value is built from its enum, so a new member needs its label here.
"""

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from jinja2 import pass_context
from jinja2.runtime import Context

from core.models import NotificationStatus
from workflows.contracts import CandidateStatus, Decision, EventKind, ReviewDecision, WaitingOn
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
EVENT = _every(
    EventKind,
    {
        EventKind.SUBMITTED: "Pilot submitted",
        EventKind.AMENDED: "Proposal amended and resubmitted",
        EventKind.REVIEWED: "Proposal reviewed",
        EventKind.REVIEW_REMINDER: "Review reminder sent to the programme team",
        EventKind.COMPANIES_INVITED: "Companies invited",
        EventKind.INVITATION_REMINDER: "Invitation reminder sent",
        EventKind.RESPONSES_CLOSED: "Response deadline passed",
        EventKind.ANSWERED: "Company answered",
        EventKind.PARTNER_SELECTED: "Partner chosen",
        EventKind.TRIAL_STARTED: "Trial started",
        EventKind.CHECKIN_REQUESTED: "Progress report requested",
        EventKind.PROGRESS_REPORTED: "Progress reported",
        EventKind.TRIAL_ENDED: "Trial ended",
        EventKind.EVALUATION_REMINDER: "Evaluation reminder sent",
        EventKind.EVALUATION_SUBMITTED: "Evaluation submitted",
        EventKind.DECIDED: "Decision taken",
        EventKind.GENERALIZATION_OFFERED: "Offered to the other towns",
        EventKind.WITHDRAWN: "Pilot withdrawn",
        EventKind.CANCELLED: "Pilot cancelled",
        EventKind.UNMATCHED: "No partner found",
    },
)
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
