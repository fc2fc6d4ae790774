"""Readable names for the codes the pages show: stages, statuses, roles, audit entries.

Each table of a coded value is built from its enum, so a new member needs its label here.
"""

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from jinja2 import pass_context
from jinja2.runtime import Context

from core.i18n import translate
from core.lead_times import Milestone
from core.models import NotificationStatus
from workflows.contracts import (
    CandidateStatus,
    Decision,
    EventKind,
    ReportingParty,
    ReviewDecision,
    WaitingOn,
)
from workflows.messages import N_
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
        Stage.SUBMITTED: N_("Submitted"),
        Stage.CHANGES_REQUESTED: N_("Changes requested"),
        Stage.MATCHING: N_("Partner matching"),
        Stage.TRIAL_SCHEDULED: N_("Trial scheduled"),
        Stage.TRIAL_RUNNING: N_("Trial running"),
        Stage.EVALUATION: N_("Evaluation"),
        Stage.CLOSED: N_("Closed"),
        Stage.REJECTED: N_("Rejected"),
        Stage.UNMATCHED: N_("No partner found"),
        Stage.WITHDRAWN: N_("Withdrawn"),
        Stage.CANCELLED: N_("Cancelled"),
    },
)
CANDIDATE = _every(
    CandidateStatus,
    {
        CandidateStatus.INVITED: N_("Invited, no answer yet"),
        CandidateStatus.INTERESTED: N_("Interested"),
        CandidateStatus.DECLINED: N_("Not interested"),
        CandidateStatus.EXPIRED: N_("No answer in time"),
        CandidateStatus.SELECTED: N_("Chosen partner"),
        CandidateStatus.NOT_SELECTED: N_("Not chosen"),
    },
)
ROLE = _every(
    Role,
    {
        Role.ADMIN: N_("Programme team"),
        Role.TOWN_OFFICER: N_("Town officer"),
        Role.COMPANY: N_("Company"),
    },
)
WAITING_ON = _every(
    WaitingOn,
    {
        WaitingOn.ADMIN: N_("the programme team"),
        WaitingOn.TOWN: N_("the town"),
        WaitingOn.COMPANIES: N_("the companies"),
    },
)
DECISION = _every(
    ReviewDecision,
    {
        ReviewDecision.APPROVE: N_("Approve"),
        ReviewDecision.REQUEST_CHANGES: N_("Request changes"),
        ReviewDecision.REJECT: N_("Reject"),
    },
) | _every(
    Decision,
    {
        Decision.GENERALIZE: N_("Generalize"),
        Decision.EXTEND: N_("Extend the trial"),
        Decision.STOP: N_("Stop"),
    },
)
EVENT = _every(
    EventKind,
    {
        EventKind.SUBMITTED: N_("Pilot submitted"),
        EventKind.AMENDED: N_("Proposal amended and resubmitted"),
        EventKind.REVIEWED: N_("Proposal reviewed"),
        EventKind.REVIEW_REMINDER: N_("Review reminder sent to the programme team"),
        EventKind.COMPANIES_INVITED: N_("Companies invited"),
        EventKind.INVITATION_REMINDER: N_("Invitation reminder sent"),
        EventKind.RESPONSES_CLOSED: N_("Response deadline passed"),
        EventKind.ANSWERED: N_("Company answered"),
        EventKind.PARTNER_SELECTED: N_("Partner chosen"),
        EventKind.TRIAL_STARTED: N_("Trial started"),
        EventKind.CHECKIN_REQUESTED: N_("Progress report requested"),
        EventKind.PROGRESS_REPORTED: N_("Progress reported"),
        EventKind.CHECKIN_REMINDER: N_("Progress report reminder sent"),
        EventKind.CHECKIN_MISSED: N_("Progress report missed"),
        EventKind.TRIAL_ENDED: N_("Trial ended"),
        EventKind.EVALUATION_REMINDER: N_("Evaluation reminder sent"),
        EventKind.EVALUATION_SUBMITTED: N_("Evaluation submitted"),
        EventKind.DECIDED: N_("Decision taken"),
        EventKind.GENERALIZATION_OFFERED: N_("Offered to the other towns"),
        EventKind.WITHDRAWN: N_("Pilot withdrawn"),
        EventKind.CANCELLED: N_("Pilot cancelled"),
        EventKind.UNMATCHED: N_("No partner found"),
    },
)
EMAIL_STATUS = _every(
    NotificationStatus,
    {
        NotificationStatus.QUEUED: N_("Queued"),
        NotificationStatus.SENDING: N_("Being sent"),
        NotificationStatus.SENT: N_("Sent"),
        NotificationStatus.FAILED: N_("Failed"),
    },
)
# The funnel's steps (core/lead_times.py), on the admin overview.
MILESTONE = _every(
    Milestone,
    {
        Milestone.SUBMITTED: N_("Submitted"),
        Milestone.APPROVED: N_("Approved"),
        Milestone.PARTNER_MATCHED: N_("Partner chosen"),
        Milestone.TRIAL_STARTED: N_("Trial started"),
        Milestone.EVALUATED: N_("Evaluation submitted"),
        Milestone.DECIDED_GENERALIZE: N_("Decided: generalize"),
        Milestone.REPLICATED: N_("Replicated by another town"),
    },
)
REPORTER = _every(
    ReportingParty,
    {ReportingParty.TOWN: N_("Town"), ReportingParty.PARTNER: N_("Partner")},
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
    "milestone": MILESTONE,
    "reporter": REPORTER,
    "locale": LOCALE,
}


@pass_context
def label(context: Context, value: Any, kind: str) -> str:
    """`{{ pilot.stage | label("stage") }}`: the code's name in the reader's language."""
    if value is None:
        return ""
    text = LABELS[kind].get(str(value), str(value))
    return translate(context["locale"], text)
