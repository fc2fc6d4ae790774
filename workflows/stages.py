"""The pure stage machine: which role may take which action in which stage, and why not.

The workflow's update validators and the service's `allowed_actions` both use it, so a
rule lives in one place.
"""

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache

from workflows.contracts import Actor, CandidateStatus, Outcome, PilotState, ReportingParty
from workflows.messages import N_


class Stage(StrEnum):
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    MATCHING = "matching"
    TRIAL_SCHEDULED = "trial_scheduled"
    TRIAL_RUNNING = "trial_running"
    EVALUATION = "evaluation"
    CLOSED = "closed"
    REJECTED = "rejected"
    UNMATCHED = "unmatched"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


END_STAGES = frozenset(
    {Stage.CLOSED, Stage.REJECTED, Stage.UNMATCHED, Stage.WITHDRAWN, Stage.CANCELLED}
)
OPEN_STAGES = frozenset(Stage) - END_STAGES


class Role(StrEnum):
    ADMIN = "admin"
    TOWN_OFFICER = "town_officer"
    COMPANY = "company"


class Action(StrEnum):
    REVIEW = "review"
    AMEND = "amend"
    RESPOND = "respond"
    SELECT_PARTNER = "select-partner"
    PROGRESS = "progress"
    END_TRIAL = "end-trial"
    EVALUATION = "evaluation"
    DECIDE = "decide"
    WITHDRAW = "withdraw"
    CANCEL = "cancel"
    REPLICATE = "replicate"


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    stages: frozenset[Stage]


def _rule(roles: set[Role], stages: set[Stage] | frozenset[Stage]) -> Rule:
    return Rule(frozenset(roles), frozenset(stages))


RULES: dict[Action, Rule] = {
    Action.REVIEW: _rule({Role.ADMIN}, {Stage.SUBMITTED}),
    Action.AMEND: _rule({Role.TOWN_OFFICER}, {Stage.CHANGES_REQUESTED}),
    Action.RESPOND: _rule({Role.COMPANY}, {Stage.MATCHING}),
    Action.SELECT_PARTNER: _rule({Role.TOWN_OFFICER}, {Stage.MATCHING}),
    Action.PROGRESS: _rule({Role.TOWN_OFFICER, Role.COMPANY}, {Stage.TRIAL_RUNNING}),
    Action.END_TRIAL: _rule(
        {Role.TOWN_OFFICER, Role.COMPANY, Role.ADMIN},
        {Stage.TRIAL_SCHEDULED, Stage.TRIAL_RUNNING},
    ),
    Action.EVALUATION: _rule({Role.TOWN_OFFICER}, {Stage.EVALUATION}),
    Action.DECIDE: _rule({Role.ADMIN}, {Stage.EVALUATION}),
    Action.WITHDRAW: _rule(
        {Role.TOWN_OFFICER},
        {Stage.SUBMITTED, Stage.CHANGES_REQUESTED, Stage.MATCHING, Stage.TRIAL_SCHEDULED},
    ),
    Action.CANCEL: _rule({Role.ADMIN}, OPEN_STAGES),
    Action.REPLICATE: _rule({Role.TOWN_OFFICER}, {Stage.CLOSED}),
}

# The statuses of an invitation that still takes an answer.
RESPONDABLE = frozenset(
    {CandidateStatus.INVITED, CandidateStatus.INTERESTED, CandidateStatus.DECLINED}
)


class RefusalKind(StrEnum):
    ROLE = "role"  # this role never takes this action: 403
    HIDDEN = "hidden"  # the pilot, or this part of it, is not the caller's: 404
    STAGE = "stage"  # not now, in this stage or state: 409
    INVALID = "invalid"  # the request itself is wrong: 422
    RATE = "rate"  # not this often: 429, retry after `retry_after` seconds


@dataclass(frozen=True)
class Refusal:
    kind: RefusalKind
    reason: str
    retry_after: float | None = None


def role_may(action: Action, role: str) -> bool:
    return role in RULES[action].roles


def can_see(state: PilotState, actor: Actor) -> bool:
    """Object-level visibility: own town, invited company, or anyone for a generalized pilot."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role == Role.TOWN_OFFICER:
        return actor.town_id == state.town_id or _offered_for_replication(state)
    if actor.role == Role.COMPANY:
        return state.candidate(actor.company_id) is not None
    return False


def _offered_for_replication(state: PilotState) -> bool:
    return state.stage == Stage.CLOSED and state.outcome == Outcome.GENERALIZE


def refusal(
    state: PilotState,
    action: Action,
    actor: Actor,
    *,
    company_id: str | None = None,
    now: datetime | None = None,
) -> Refusal | None:
    """Why `actor` may not take `action` on this pilot now, or None if it may.

    `company_id` is the partner a town would select; without it any interested one will do.
    `now` (the workflow's time, or the clock's in the service) applies the rate bounds.
    """
    if not role_may(action, actor.role):
        return Refusal(
            RefusalKind.ROLE,
            N_("a %(role)s may not %(action)s a pilot") % {"role": actor.role, "action": action},
        )
    if not can_see(state, actor):
        return Refusal(RefusalKind.HIDDEN, N_("no such pilot"))
    own_town = actor.role != Role.TOWN_OFFICER or actor.town_id == state.town_id
    if action == Action.REPLICATE:
        if own_town:
            return Refusal(RefusalKind.STAGE, N_("a town cannot replicate its own pilot"))
        if not _offered_for_replication(state):
            reason = N_("only a pilot closed 'generalize' can be replicated")
            return Refusal(RefusalKind.STAGE, reason)
        return None
    if not own_town:
        return Refusal(RefusalKind.HIDDEN, N_("no such pilot"))
    partner_action = action in (Action.PROGRESS, Action.END_TRIAL)
    not_partner = actor.company_id != state.partner_company_id
    if actor.role == Role.COMPANY and partner_action and not_partner:
        return Refusal(RefusalKind.ROLE, N_("only the partner company acts on this trial"))
    if state.stage not in RULES[action].stages:
        reason = N_("cannot %(action)s a pilot in stage '%(stage)s'")
        return Refusal(RefusalKind.STAGE, reason % {"action": action, "stage": state.stage})
    return _state_refusal(state, action, actor, company_id, now)


def _state_refusal(
    state: PilotState, action: Action, actor: Actor, company_id: str | None, now: datetime | None
) -> Refusal | None:
    if action == Action.RESPOND:
        candidate = state.candidate(actor.company_id)
        if candidate is None or candidate.status not in RESPONDABLE:
            status = candidate.status if candidate else "none"
            reason = N_("your invitation is %(status)s: it takes no answer")
            return Refusal(RefusalKind.STAGE, reason % {"status": status})
        bounds = state.bounds
        if bounds is not None and candidate.answers > bounds.answer_changes:
            return Refusal(
                RefusalKind.STAGE,
                N_("your answer has changed %(count)s times: it cannot change again")
                % {"count": bounds.answer_changes},
            )
    if action == Action.PROGRESS and now is not None:
        return _progress_refusal(state, actor, now)
    if action == Action.SELECT_PARTNER:
        interested = [
            c.company_id for c in state.candidates if c.status == CandidateStatus.INTERESTED
        ]
        if not interested:
            return Refusal(RefusalKind.STAGE, N_("no invited company has answered interested yet"))
        if company_id is not None and company_id not in interested:
            return Refusal(RefusalKind.STAGE, N_("this company has not answered interested"))
    if action == Action.DECIDE and state.evaluation is None:
        return Refusal(RefusalKind.STAGE, N_("the town has not submitted its evaluation yet"))
    return None


def _progress_refusal(state: PilotState, actor: Actor, now: datetime) -> Refusal | None:
    """At most N progress reports per party in each check-in window of the trial."""
    bounds = state.bounds
    if bounds is None or state.trial_start is None:
        return None
    window = progress_window(state, now)
    if state.progress_window != window:
        return None
    if state.progress_reports.get(reporter(actor), 0) < bounds.progress_reports_per_window:
        return None
    next_window = (window + 1) * bounds.progress_window_seconds
    wait = next_window - (now - state.trial_start).total_seconds()
    return Refusal(
        RefusalKind.RATE,
        N_("at most %(count)s progress reports per check-in period")
        % {"count": bounds.progress_reports_per_window},
        retry_after=max(wait, 1.0),
    )


def progress_window(state: PilotState, now: datetime) -> int:
    """Which check-in window of the trial `now` falls in (0 for the first)."""
    if state.bounds is None or state.trial_start is None:
        return 0
    elapsed = max((now - state.trial_start).total_seconds(), 0.0)
    return math.floor(elapsed / state.bounds.progress_window_seconds)


def reporter(actor: Actor) -> ReportingParty:
    """The party a progress report counts against: the town or the partner."""
    return ReportingParty.TOWN if actor.role == Role.TOWN_OFFICER else ReportingParty.PARTNER


def is_repeat_answer(state: PilotState, actor: Actor, interested: bool, message: str) -> bool:
    """True if this answer is the one the company last gave: it changes nothing."""
    candidate = state.candidate(actor.company_id)
    status = CandidateStatus.INTERESTED if interested else CandidateStatus.DECLINED
    return (
        candidate is not None
        and candidate.answers > 0
        and candidate.status == status
        and candidate.message == message
    )


def allowed_actions(state: PilotState, actor: Actor, now: datetime | None = None) -> list[str]:
    """The actions this actor may take on this pilot now, for `allowed_actions`.

    The role and the stage rule most actions out; only the others are asked for a refusal,
    which writes out its reason (a list of 20 pilots asks this 20 times per read).
    """
    return [
        str(action)
        for action in _possible_actions(actor.role, state.stage)
        if refusal(state, action, actor, now=now) is None
    ]


@cache
def _possible_actions(role: str, stage: str) -> tuple[Action, ...]:
    """The actions the role and the stage leave open (fixed rules: worked out once each)."""
    return tuple(
        action
        for action in Action
        if role_may(action, role) and (action == Action.REPLICATE or stage in RULES[action].stages)
    )
