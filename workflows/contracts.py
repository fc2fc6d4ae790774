"""Dataclasses that cross the workflow boundary: one in, one out, so fields can be added."""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

# Each value below crosses Temporal, the read model and the API as its string: a StrEnum
# member serialises as that string, so the wire format is the one the bare strings had.

SYSTEM = "system"  # the actor's role when no person acted


class SystemKind(StrEnum):
    """What acted when no person did."""

    TIMER = "timer"
    WORKFLOW = "workflow"


class CandidateStatus(StrEnum):
    INVITED = "invited"
    INTERESTED = "interested"
    DECLINED = "declined"
    EXPIRED = "expired"
    SELECTED = "selected"
    NOT_SELECTED = "not_selected"


class ReviewDecision(StrEnum):
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"


class Decision(StrEnum):
    """The admin's decision after the evaluation, and the town's recommendation of one."""

    GENERALIZE = "generalize"
    EXTEND = "extend"
    STOP = "stop"


class Outcome(StrEnum):
    """How a closed pilot ended: the decisions that close it."""

    GENERALIZE = "generalize"
    STOP = "stop"


class WaitingOn(StrEnum):
    """Whom the pilot's next deadline waits on."""

    ADMIN = "admin"
    TOWN = "town"
    COMPANIES = "companies"


class Audience(StrEnum):
    """Who a notification goes to."""

    TOWN = "town"
    ADMINS = "admins"
    COMPANIES = "companies"
    OTHER_TOWNS = "other_towns"


class EmailTemplate(StrEnum):
    """The pilot's email templates (templates/email/<locale>/<name>.*)."""

    PILOT_SUBMITTED = "pilot_submitted"
    REVIEW_REMINDER = "review_reminder"
    REVIEW_OUTCOME = "review_outcome"
    INVITATION = "invitation"
    INVITATION_REMINDER = "invitation_reminder"
    ANSWER_RECEIVED = "answer_received"
    PARTNER_CHOSEN = "partner_chosen"
    PARTNER_NOT_CHOSEN = "partner_not_chosen"
    TRIAL_STARTED = "trial_started"
    CHECKIN_REQUEST = "checkin_request"
    CHECKIN_REMINDER = "checkin_reminder"
    TRIAL_ENDED = "trial_ended"
    EVALUATION_REQUEST = "evaluation_request"
    EVALUATION_REMINDER = "evaluation_reminder"
    DECISION = "decision"
    PILOT_ENDED = "pilot_ended"
    GENERALIZATION_OFFER = "generalization_offer"


class EventKind(StrEnum):
    """What an audit entry records: the kind of each transition in a pilot's history."""

    SUBMITTED = "submitted"
    AMENDED = "amended"
    REVIEWED = "reviewed"
    REVIEW_REMINDER = "review_reminder"
    COMPANIES_INVITED = "companies_invited"
    INVITATION_REMINDER = "invitation_reminder"
    RESPONSES_CLOSED = "responses_closed"
    ANSWERED = "answered"
    PARTNER_SELECTED = "partner_selected"
    TRIAL_STARTED = "trial_started"
    CHECKIN_REQUESTED = "checkin_requested"
    CHECKIN_REMINDER = "checkin_reminder"
    CHECKIN_MISSED = "checkin_missed"
    PROGRESS_REPORTED = "progress_reported"
    TRIAL_ENDED = "trial_ended"
    EVALUATION_REMINDER = "evaluation_reminder"
    EVALUATION_SUBMITTED = "evaluation_submitted"
    DECIDED = "decided"
    GENERALIZATION_OFFERED = "generalization_offered"
    # The pilot ended early: each kind is the name of the end stage it records.
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    UNMATCHED = "unmatched"


class ReportingParty(StrEnum):
    """Whom a progress report counts against: each has its own allowance per check-in."""

    TOWN = "town"
    PARTNER = "partner"


def workflow_id(pilot_id: str) -> str:
    """A pilot's workflow is `pilot-<id>`: the service, the activities and tools agree here."""
    return f"pilot-{pilot_id}"


# Updates sent with an Idempotency-Key have ids that start so; the workflow keeps receipts of those.
KEYED_UPDATE_PREFIX = "key-"


def keyed_update_id(user_id: str, action: str, idempotency_key: str) -> str:
    """The Update id for a user's Idempotency-Key: scoped to the user and the action."""
    scoped = f"{user_id}\x00{action}\x00{idempotency_key}".encode()
    return f"{KEYED_UPDATE_PREFIX}{action}-{hashlib.sha256(scoped).hexdigest()[:32]}"


@dataclass
class Kpi:
    name: str
    unit: str
    baseline: float
    target: float


@dataclass
class Proposal:
    """What a town officer submits (and amends)."""

    town_id: str
    title: str
    summary: str
    theme: str
    needs: list[str]
    budget_eur: float
    desired_start: date
    duration_days: int
    kpis: list[Kpi] = field(default_factory=list)


@dataclass
class Actor:
    """Who caused a transition: a person with a role, or the system (a timer, the workflow)."""

    role: str
    user_id: str | None = None
    town_id: str | None = None
    company_id: str | None = None
    system: SystemKind | None = None

    def as_record(self) -> dict[str, Any]:
        if self.role == SYSTEM:
            return {"system": self.system or SystemKind.WORKFLOW}
        return {"user_id": self.user_id, "role": self.role}


def timer_actor() -> Actor:
    return Actor(role=SYSTEM, system=SystemKind.TIMER)


def workflow_actor() -> Actor:
    return Actor(role=SYSTEM, system=SystemKind.WORKFLOW)


@dataclass
class LifecycleRules:
    """Every deadline, period and count of the lifecycle, fixed when the pilot starts."""

    day_seconds: float = 86400.0
    review_reminder_days: float = 7
    review_reminders: int = 2
    invites_per_round: int = 5
    matching_rounds: int = 2
    response_days: float = 14
    response_reminder_before_days: float = 3
    checkin_period_days: float = 30
    # One reminder this long after a check-in to whoever has not reported since; none if
    # it would not come before the next check-in (see `checkin_reminder_delay_days`).
    checkin_reminder_days: float = 7
    evaluation_reminder_days: float = 7
    evaluation_reminders: int = 3
    default_extension_days: int = 30
    # Bounds on what one party can add to a pilot's history and mail (issue 7, item 5).
    answer_changes: int = 3
    answer_emails_per_company: int = 5
    progress_reports_per_checkin: int = 4
    continue_as_new_after_events: int = 2000


@dataclass
class CandidateState:
    company_id: str
    company_name: str
    score: float
    reasons: list[str]
    round: int
    status: CandidateStatus = CandidateStatus.INVITED
    message: str = ""
    answers: int = 0  # answers recorded, the first included: bounds changes and the town's mail


@dataclass
class Measurement:
    kpi: str
    value: float


# A KPI's series keeps its latest points only: progress reports are bounded per check-in,
# but a pilot extended for years would otherwise carry them all through continue-as-new.
SERIES_POINTS_KEPT = 120
MISSED_CHECKINS_KEPT = 24


@dataclass
class KpiPoint:
    """One measurement of a KPI: when it was reported, its value and which party reported it."""

    at: datetime
    value: float
    reporter: ReportingParty


@dataclass
class KpiSeries:
    kpi: str
    points: list[KpiPoint] = field(default_factory=list)


def checkin_reminder_delay_days(rules: LifecycleRules) -> float | None:
    """How long after a check-in its reminder comes, or None if it would not come before the
    next one (the rule is bounded below the period)."""
    delay = rules.checkin_reminder_days
    return delay if 0 < delay < rules.checkin_period_days else None


@dataclass
class Evaluation:
    kpi_results: list[Measurement]
    satisfaction: int
    lessons: str
    # A Decision; a str so that an unknown one reaches the Update's validator, refused as invalid.
    recommendation: str


@dataclass
class ActionBounds:
    """The rules' bounds the stage machine needs, kept in the state so `refusal` sees them."""

    answer_changes: int
    progress_reports_per_window: int
    progress_window_seconds: float


@dataclass
class Receipt:
    """An Update that acted, by id: a retried request finds it and does not act again."""

    update_id: str
    seq: int


@dataclass
class PilotState:
    """The workflow's state, returned by its query and its updates, recorded in the read model."""

    pilot_id: str
    town_id: str
    proposal: Proposal
    stage: str
    created_at: datetime
    updated_at: datetime
    outcome: Outcome | None = None
    round: int = 0
    candidates: list[CandidateState] = field(default_factory=list)
    partner_company_id: str | None = None
    trial_start: datetime | None = None
    trial_end: datetime | None = None
    deadline: datetime | None = None
    waiting_on: WaitingOn | None = None
    evaluation: Evaluation | None = None
    checkins: int = 0
    parent_id: str | None = None
    seq: int = 0
    bounds: ActionBounds | None = None  # None on pilots started before the bounds existed
    # Progress reports in the current check-in window, by party.
    progress_window: int = 0
    progress_reports: dict[ReportingParty, int] = field(default_factory=dict)
    receipts: list[Receipt] = field(default_factory=list)  # the latest few only
    # The trial's evidence: each KPI's measurements in the order reported (the latest
    # SERIES_POINTS_KEPT), and the check-ins nobody reported after (by number).
    kpi_series: list[KpiSeries] = field(default_factory=list)
    missed_checkins: list[int] = field(default_factory=list)  # the latest few only
    missed_checkin_count: int = 0
    # When the latest check-in was requested, who has reported since, and if it was reminded.
    checkin_at: datetime | None = None
    checkin_reporters: list[ReportingParty] = field(default_factory=list)
    checkin_reminded: bool = False

    def candidate(self, company_id: str | None) -> CandidateState | None:
        return next((c for c in self.candidates if c.company_id == company_id), None)

    def series(self, kpi: str) -> KpiSeries | None:
        return next((s for s in self.kpi_series if s.kpi == kpi), None)

    def add_measurements(
        self, measurements: list[Measurement], at: datetime, party: ReportingParty
    ) -> None:
        """Append a progress report's measurements to each KPI's series, bounded."""
        for measurement in measurements:
            series = self.series(measurement.kpi)
            if series is None:
                series = KpiSeries(measurement.kpi)
                self.kpi_series.append(series)
            series.points.append(KpiPoint(at, measurement.value, party))
            del series.points[:-SERIES_POINTS_KEPT]

    def mark_missed(self, checkin: int) -> None:
        self.missed_checkin_count += 1
        self.missed_checkins = [*self.missed_checkins, checkin][-MISSED_CHECKINS_KEPT:]


@dataclass
class PilotInput:
    pilot_id: str
    proposal: Proposal
    submitted_by: Actor
    rules: LifecycleRules = field(default_factory=LifecycleRules)
    parent_id: str | None = None
    # On replication, the parent's partner is invited first.
    preferred_company_id: str | None = None
    # Set when a long-lived pilot continues as new: the state it carries on from.
    resume: PilotState | None = None


@dataclass
class ActionResult:
    """What an Update answers: the audit entry it wrote (or the last one) and the stage.

    The service reads the rest from the read model, which the Update has written by then.
    """

    seq: int
    stage: str


@dataclass
class PilotResult:
    pilot_id: str
    stage: str
    outcome: Outcome | None


# Update requests: each carries the actor the service authenticated.


@dataclass
class ReviewRequest:
    actor: Actor
    decision: str  # a ReviewDecision; a str so that an unknown one is refused as invalid
    comment: str = ""


@dataclass
class AmendRequest:
    actor: Actor
    proposal: Proposal


@dataclass
class RespondRequest:
    actor: Actor
    interested: bool
    message: str = ""


@dataclass
class SelectPartnerRequest:
    actor: Actor
    company_id: str


@dataclass
class ProgressRequest:
    actor: Actor
    measurements: list[Measurement] = field(default_factory=list)
    note: str = ""


@dataclass
class EvaluationRequest:
    actor: Actor
    evaluation: Evaluation


@dataclass
class DecideRequest:
    actor: Actor
    decision: str  # a Decision; a str so that an unknown one is refused as invalid
    extension_days: int | None = None
    comment: str = ""


@dataclass
class ReasonRequest:
    """end-trial, withdraw and cancel: an actor and a reason."""

    actor: Actor
    reason: str = ""


# Activity contracts.


@dataclass
class TransitionRecord:
    """One audit entry and the state after it: written once per (pilot, seq)."""

    seq: int
    at: datetime
    kind: EventKind
    actor: dict[str, Any]
    data: dict[str, Any]
    state: PilotState
    created_by: str | None = None


@dataclass
class MatchingRequest:
    pilot_id: str
    town_id: str
    theme: str
    needs: list[str]
    round: int
    limit: int
    exclude_company_ids: list[str] = field(default_factory=list)
    preferred_company_id: str | None = None


@dataclass
class MatchingResult:
    candidates: list[CandidateState]


@dataclass
class NotificationRequest:
    """Send one template to audiences: town, admins, companies (by id), other_towns."""

    # An EmailTemplate; a str so that an activity worker older than the workflow's code
    # reads a new template's request and refuses it for good (TemplateNotFound).
    template: str
    seq: int
    state: PilotState  # only what email shows: see `email_view`
    audiences: list[Audience]
    company_ids: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class NotificationResult:
    sent: int
    skipped: int = 0  # already sent by an earlier attempt
    failed: int = 0  # refused for good by the recipient's server; kept in the outbox


def email_view(state: PilotState) -> PilotState:
    """The state an email needs: the proposal, dates, evaluation and the partner's name.

    Candidates' scores, reasons and offers stay out, so each message carries little and a
    template cannot leak them; it is still a PilotState so in-flight requests read the same.
    """
    partner = state.candidate(state.partner_company_id)
    return PilotState(
        pilot_id=state.pilot_id,
        town_id=state.town_id,
        proposal=state.proposal,
        stage=state.stage,
        created_at=state.created_at,
        updated_at=state.updated_at,
        outcome=state.outcome,
        round=state.round,
        candidates=[
            CandidateState(partner.company_id, partner.company_name, 0.0, [], partner.round)
        ]
        if partner
        else [],
        partner_company_id=state.partner_company_id,
        trial_start=state.trial_start,
        trial_end=state.trial_end,
        deadline=state.deadline,
        waiting_on=state.waiting_on,
        evaluation=state.evaluation,
        checkins=state.checkins,
        parent_id=state.parent_id,
        seq=state.seq,
        # Each KPI's last value only: the check-in email shows it beside baseline and target.
        kpi_series=[KpiSeries(s.kpi, s.points[-1:]) for s in state.kpi_series],
    )


# The account email workflow's contract.


@dataclass
class AccountEmailRequest:
    purpose: str  # core.account_links.LinkPurpose
    user_id: str
    fingerprint: str


@dataclass
class AccountEmailResult:
    sent: bool
    # Why nothing was sent: the user is gone or inactive, or the password changed meanwhile.
    skipped_because: str = ""
