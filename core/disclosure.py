"""What each party may read of a pilot: the one policy behind the API, the pages and the email.

Pure code on the workflow's dataclasses. A reader is first placed in a `Relation` to the
pilot; the pilot's state, each audit event and each email's `extra` are then cut down to
what that relation may read. Whatever a rule does not name is read by the town's side only
(the pilot's own town and the admins), so a new field stays private until a rule opens it.
The table of these rules, in words, is docs/SECURITY.md's "Confidentiality" section.
"""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

from workflows.contracts import Audience, EmailTemplate, EventKind, Outcome, PilotState
from workflows.stages import RESPONDABLE, Role, Stage


class Relation(StrEnum):
    ADMIN = "admin"
    OWN_TOWN = "own_town"
    PARTNER = "partner"
    # A company invited to the pilot that is not its partner: invited, interested, declined,
    # expired or not selected.
    INVITED = "invited"
    # Another town's officer, on a pilot closed `generalize`.
    OTHER_TOWN = "other_town"
    NONE = "none"  # sees nothing beyond the proposal


Readers = frozenset[Relation]

TOWN_SIDE: Readers = frozenset({Relation.ADMIN, Relation.OWN_TOWN})
COMPANIES: Readers = frozenset({Relation.PARTNER, Relation.INVITED})
# The trial, its progress and its evaluation: the town's side and the chosen partner.
TRIAL: Readers = TOWN_SIDE | {Relation.PARTNER}
# What a generalized pilot publishes to the other towns: partner, dates, evaluation, decision.
PUBLISHED: Readers = TRIAL | {Relation.OTHER_TOWN}
# The matching: the town's side and the companies it invited.
MATCHING: Readers = TRIAL | COMPANIES
# The stage and the proposal.
EVERYONE: Readers = PUBLISHED | {Relation.INVITED}


@dataclass(frozen=True)
class Viewer:
    """Who reads: a user (role, town, company), or an email's recipient."""

    role: str
    town_id: str | None = None
    company_id: str | None = None


def relation_of(state: PilotState, viewer: Viewer) -> Relation:
    """How this viewer stands to this pilot."""
    if viewer.role == Role.ADMIN:
        return Relation.ADMIN
    if viewer.role == Role.TOWN_OFFICER:
        if viewer.town_id is not None and viewer.town_id == state.town_id:
            return Relation.OWN_TOWN
        if state.stage == Stage.CLOSED and state.outcome == Outcome.GENERALIZE:
            return Relation.OTHER_TOWN
        return Relation.NONE
    if viewer.role == Role.COMPANY and viewer.company_id is not None:
        if viewer.company_id == state.partner_company_id:
            return Relation.PARTNER
        if state.candidate(viewer.company_id) is not None:
            return Relation.INVITED
    return Relation.NONE


# ---- the pilot -------------------------------------------------------------------------

# Everyone who may see the pilot reads these parts of its state.
OPEN_STATE_FIELDS = frozenset(
    {
        "pilot_id", "town_id", "proposal", "stage", "round", "parent_id", "seq",
        "created_at", "updated_at",
    }
)  # fmt: skip
# Who reads each other part; a part named nowhere keeps its default (empty) value for
# everyone outside the town's side.
STATE_FIELDS: dict[str, Readers] = {
    "candidates": EVERYONE,  # each company its own entry only (see `disclose`)
    "outcome": PUBLISHED,  # the decision
    "partner_company_id": PUBLISHED,
    "trial_start": PUBLISHED,
    "trial_end": PUBLISHED,
    "evaluation": PUBLISHED,
    "checkins": TRIAL,
    # The trial's evidence: read as the progress reports it is made of.
    "kpi_series": TRIAL,
    "missed_checkins": TRIAL,
    "missed_checkin_count": TRIAL,
    "deadline": TRIAL,
    "waiting_on": TRIAL,
    # The workflow's own bookkeeping of bounds and retries: the API reads it from the full
    # state to answer retries and compute `allowed_actions`; no party needs to read it.
    "bounds": TOWN_SIDE,
    "progress_window": TOWN_SIDE,
    "progress_reports": TOWN_SIDE,
    "receipts": TOWN_SIDE,
    "checkin_at": TOWN_SIDE,
    "checkin_reporters": TOWN_SIDE,
    "checkin_reminded": TOWN_SIDE,
}
_STATE_PARTS = dataclasses.fields(PilotState)
# While the companies may answer, the deadline is theirs too.
ANSWER_DEADLINE = frozenset({"deadline", "waiting_on"})


@dataclass(frozen=True)
class PilotView:
    """A pilot as one viewer may read it: a redacted state sharing the original's parts.

    Read it, never change it: copying every part cost most of a read's CPU (issue 10).
    """

    relation: Relation
    state: PilotState
    partner_name: str | None = None


def view_pilot(state: PilotState, viewer: Viewer) -> PilotView:
    """The pilot as `viewer` may read it."""
    relation = relation_of(state, viewer)
    return disclose(state, relation, company_id=viewer.company_id)


def disclose(state: PilotState, relation: Relation, *, company_id: str | None = None) -> PilotView:
    """A state holding only what `relation` may read; `company_id` is the reader's."""
    readable = _readable_parts(relation, _answering(state, relation, company_id))
    shown = PilotState(**{name: getattr(state, name) for name in readable})
    if relation not in TOWN_SIDE:
        own = company_id if relation in COMPANIES else None
        shown.candidates = [c for c in shown.candidates if own and c.company_id == own]
    partner = state.candidate(state.partner_company_id)
    named = partner is not None and relation in TOWN_SIDE | STATE_FIELDS["partner_company_id"]
    return PilotView(relation, shown, partner.company_name if named and partner else None)


@cache
def _readable_parts(relation: Relation, answering: bool) -> tuple[str, ...]:
    """The state's parts `relation` may read (the rules are fixed: worked out once each)."""
    return tuple(
        part.name
        for part in _STATE_PARTS
        if part.name in OPEN_STATE_FIELDS
        or relation in TOWN_SIDE | STATE_FIELDS.get(part.name, TOWN_SIDE)
        or (answering and part.name in ANSWER_DEADLINE)
    )


def _answering(state: PilotState, relation: Relation, company_id: str | None) -> bool:
    """An invited company still asked for its answer reads the answer's deadline."""
    candidate = state.candidate(company_id)
    return (
        relation == Relation.INVITED
        and state.stage == Stage.MATCHING
        and candidate is not None
        and candidate.status in RESPONDABLE
    )


# ---- the audit trail -------------------------------------------------------------------


@dataclass(frozen=True)
class EventRule:
    """Who reads an event of one kind, and each key of its data."""

    readers: Readers
    fields: Mapping[str, Readers] = field(default_factory=dict)
    # The event is one company's own (its answer): among companies, only it reads it.
    own_company_only: bool = False


# Keys holding company ids: a company reads its own id there and no other.
COMPANY_LIST_KEYS = ("company_ids", "expired")

_ENDED = EventRule(EVERYONE, {"reason": TRIAL, "stage": EVERYONE})
EVENT_RULES: dict[EventKind, EventRule] = {
    EventKind.SUBMITTED: EventRule(EVERYONE, {"title": EVERYONE}),
    EventKind.AMENDED: EventRule(EVERYONE, {"title": EVERYONE}),
    EventKind.REVIEW_REMINDER: EventRule(TOWN_SIDE, {"reminder": TOWN_SIDE}),
    EventKind.REVIEWED: EventRule(EVERYONE, {"decision": EVERYONE, "comment": TOWN_SIDE}),
    EventKind.COMPANIES_INVITED: EventRule(MATCHING, {"round": EVERYONE, "company_ids": COMPANIES}),
    EventKind.INVITATION_REMINDER: EventRule(MATCHING, {"company_ids": COMPANIES}),
    EventKind.RESPONSES_CLOSED: EventRule(MATCHING, {"round": EVERYONE, "expired": COMPANIES}),
    EventKind.ANSWERED: EventRule(
        TOWN_SIDE | COMPANIES,
        {"company_id": COMPANIES, "interested": COMPANIES, "message": COMPANIES},
        own_company_only=True,
    ),
    EventKind.PARTNER_SELECTED: EventRule(
        EVERYONE, {"company_id": PUBLISHED, "trial_start": PUBLISHED}
    ),
    EventKind.TRIAL_STARTED: EventRule(EVERYONE),
    EventKind.PROGRESS_REPORTED: EventRule(TRIAL, {"measurements": TRIAL, "note": TRIAL}),
    EventKind.CHECKIN_REQUESTED: EventRule(TRIAL, {"checkin": TRIAL}),
    EventKind.CHECKIN_REMINDER: EventRule(TRIAL, {"checkin": TRIAL, "parties": TRIAL}),
    EventKind.CHECKIN_MISSED: EventRule(TRIAL, {"checkin": TRIAL}),
    EventKind.TRIAL_ENDED: EventRule(EVERYONE, {"reason": TRIAL}),
    EventKind.EVALUATION_SUBMITTED: EventRule(
        PUBLISHED,
        {
            "kpi_results": PUBLISHED,
            "satisfaction": PUBLISHED,
            "lessons": PUBLISHED,
            "recommendation": PUBLISHED,
        },
    ),
    EventKind.EVALUATION_REMINDER: EventRule(TRIAL, {"reminder": TRIAL}),
    EventKind.DECIDED: EventRule(
        EVERYONE,
        {"decision": PUBLISHED, "extension_days": PUBLISHED, "comment": TOWN_SIDE},
    ),
    EventKind.WITHDRAWN: _ENDED,
    EventKind.CANCELLED: _ENDED,
    EventKind.UNMATCHED: _ENDED,
    EventKind.GENERALIZATION_OFFERED: EventRule(EVERYONE),
}
if missing := [str(kind) for kind in EventKind if kind not in EVENT_RULES]:
    # A new kind needs someone to decide who reads it: fail at import, not in a history.
    raise ValueError(f"no disclosure rule for EventKind {', '.join(missing)}")
# A kind no rule names (a string in the read model that is no EventKind): the town's side only.
PRIVATE = EventRule(TOWN_SIDE)


@dataclass(frozen=True)
class EventView:
    data: dict[str, Any]
    actor: dict[str, Any]


def view_event(
    kind: str,
    data: Mapping[str, Any],
    actor: Mapping[str, Any],
    relation: Relation,
    *,
    company_id: str | None = None,
) -> EventView | None:
    """The event as `relation` may read it, or None if it may not read it at all."""
    rule = _rule(kind)
    if relation not in rule.readers:
        return None
    if rule.own_company_only and relation in COMPANIES and data.get("company_id") != company_id:
        return None
    return EventView(_filter(rule, data, relation, company_id), _actor(actor, relation))


def _rule(kind: str) -> EventRule:
    """The rule of a kind as the read model holds it: a string, maybe of no EventKind."""
    try:
        return EVENT_RULES[EventKind(kind)]
    except ValueError:
        return PRIVATE


def _filter(
    rule: EventRule, data: Mapping[str, Any], relation: Relation, company_id: str | None
) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for key, value in data.items():
        # The town's side reads everything; the fields' rules are for everyone else.
        if relation not in TOWN_SIDE | rule.fields.get(key, TOWN_SIDE):
            continue
        if key in COMPANY_LIST_KEYS and relation not in TOWN_SIDE:
            value = [c for c in value if c == company_id] if isinstance(value, list) else []
        shown[key] = value
    return shown


def _actor(actor: Mapping[str, Any], relation: Relation) -> dict[str, Any]:
    """Another town reads who acted by role only: people's ids lead to names and addresses."""
    if relation == Relation.OTHER_TOWN and "user_id" in actor:
        return {**actor, "user_id": None}
    return dict(actor)


# ---- email -----------------------------------------------------------------------------

# Each template's `extra` reports an event: it is read as that event's data is.
EMAIL_EXTRA_RULES: dict[str, EventRule] = {
    EmailTemplate.PILOT_SUBMITTED: EventRule(EVERYONE, {"resubmitted": EVERYONE}),
    EmailTemplate.REVIEW_OUTCOME: EVENT_RULES[EventKind.REVIEWED],
    EmailTemplate.REVIEW_REMINDER: EVENT_RULES[EventKind.REVIEW_REMINDER],
    EmailTemplate.INVITATION: EVENT_RULES[EventKind.COMPANIES_INVITED],
    EmailTemplate.ANSWER_RECEIVED: PRIVATE,  # a company's answer, to its town only
    EmailTemplate.CHECKIN_REQUEST: EVENT_RULES[EventKind.CHECKIN_REQUESTED],
    EmailTemplate.CHECKIN_REMINDER: EVENT_RULES[EventKind.CHECKIN_REMINDER],
    EmailTemplate.TRIAL_ENDED: EVENT_RULES[EventKind.TRIAL_ENDED],
    EmailTemplate.EVALUATION_REMINDER: EVENT_RULES[EventKind.EVALUATION_REMINDER],
    EmailTemplate.DECISION: EVENT_RULES[EventKind.DECIDED],
    EmailTemplate.PILOT_ENDED: _ENDED,
}


def email_extra(
    template: str, extra: Mapping[str, Any], relation: Relation, *, company_id: str | None = None
) -> dict[str, Any]:
    """The part of a notification's `extra` that this recipient may read."""
    rule = EMAIL_EXTRA_RULES.get(template, PRIVATE)
    return _filter(rule, extra, relation, company_id)


# Who each audience of a notification is, for the email it receives.
AUDIENCE_RELATIONS = {
    Audience.TOWN: Relation.OWN_TOWN,
    Audience.ADMINS: Relation.ADMIN,
    Audience.OTHER_TOWNS: Relation.OTHER_TOWN,
}


def recipient_relation(
    state: PilotState, audience: Audience | None, company_id: str | None
) -> Relation:
    """How an email's recipient stands to the pilot, from the audience that reached it."""
    if audience == Audience.COMPANIES and company_id is not None:
        return relation_of(state, Viewer(Role.COMPANY, company_id=company_id))
    if audience is None:
        return Relation.NONE
    return AUDIENCE_RELATIONS.get(audience, Relation.NONE)


# ---- a company's profile ---------------------------------------------------------------


class ProfileReader(StrEnum):
    """How a reader stands to a company, for its profile."""

    ADMIN = "admin"
    ITSELF = "itself"  # a user of the company
    # An officer of a town where the company is a candidate (invited or answered), or who
    # may see a pilot it is the partner of (its own town's, or a generalized one).
    OFFICER = "officer"
    NONE = "none"  # reads nothing (404): another company, another town's officer


ProfileReaders = frozenset[ProfileReader]
_OWNERS: ProfileReaders = frozenset({ProfileReader.ADMIN, ProfileReader.ITSELF})
_PROFILE_READERS: ProfileReaders = _OWNERS | {ProfileReader.OFFICER}

# Who reads each part of a company's profile. The public part is what a town needs to
# choose a partner; the contact address and the company's email settings stay its own and
# the admins'. Answers, offers and scores are not the profile's: they stay on each pilot,
# under the pilot's rules above.
COMPANY_FIELDS: dict[str, ProfileReaders] = {
    "id": _PROFILE_READERS,
    "name": _PROFILE_READERS,
    "description": _PROFILE_READERS,
    "themes": _PROFILE_READERS,
    "tags": _PROFILE_READERS,
    "areas": _PROFILE_READERS,
    # The company's pilots as partner that ended closed, each only if the reader may see
    # that pilot (`relation_of` is not NONE): for an officer, its own town's and the
    # generalized ones. Of each, only parts every such reader reads (`PAST_PILOT_FIELDS`).
    "past_pilots": _PROFILE_READERS,
    "contact_email": _OWNERS,
    "locale": _OWNERS,
    "unsubscribed": _OWNERS,
    "active": _OWNERS,
}
# Of a past pilot: open parts of the proposal, and the published outcome and trial end.
PAST_PILOT_FIELDS = ("id", "title", "town_id", "theme", "outcome", "trial_end")


def profile_reader(viewer: Viewer, company_id: str, *, knows_company: bool) -> ProfileReader:
    """How `viewer` stands to the company; `knows_company`: an officer met it on a pilot."""
    if viewer.role == Role.ADMIN:
        return ProfileReader.ADMIN
    if viewer.role == Role.COMPANY and viewer.company_id == company_id:
        return ProfileReader.ITSELF
    if viewer.role == Role.TOWN_OFFICER and knows_company:
        return ProfileReader.OFFICER
    return ProfileReader.NONE


def company_fields(reader: ProfileReader) -> frozenset[str]:
    """The parts of a company's profile this reader reads."""
    return frozenset(name for name, readers in COMPANY_FIELDS.items() if reader in readers)
