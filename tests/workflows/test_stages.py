"""The pure stage machine: the one table the workflow and the service both read."""

from datetime import UTC, date, datetime

import pytest

from workflows.contracts import (
    Actor,
    CandidateState,
    Evaluation,
    PilotState,
    Proposal,
    ReportingParty,
)
from workflows.stages import (
    END_STAGES,
    RULES,
    Action,
    RefusalKind,
    Stage,
    allowed_actions,
    refusal,
    reporter,
)

NOW = datetime(2026, 11, 25, tzinfo=UTC)
ADMIN = Actor("admin", "a")
OFFICER = Actor("town_officer", "o", town_id="lille")
FOREIGN_OFFICER = Actor("town_officer", "f", town_id="roubaix")
INVITED = Actor("company", "c", company_id="c1")
PARTNER = Actor("company", "p", company_id="p1")
STRANGER = Actor("company", "s", company_id="zz")


def _state(stage: Stage, **changes: object) -> PilotState:
    proposal = Proposal("lille", "t", "s", "efficient-city", [], 1.0, date(2026, 12, 1), 30)
    state = PilotState("p", "lille", proposal, stage, NOW, NOW)
    state.candidates = [
        CandidateState("c1", "C1", 1.0, [], 1, "invited"),
        CandidateState("p1", "P1", 1.0, [], 1, "interested"),
    ]
    for name, value in changes.items():
        setattr(state, name, value)
    return state


def test_every_open_stage_allows_cancel_and_no_end_stage_allows_anything() -> None:
    for stage in Stage:
        actions = allowed_actions(_state(stage), ADMIN)
        assert ("cancel" in actions) == (stage not in END_STAGES)
    for stage in END_STAGES:
        assert allowed_actions(_state(stage), OFFICER) == []


@pytest.mark.parametrize(
    ("stage", "actor", "expected"),
    [
        (Stage.SUBMITTED, OFFICER, ["withdraw"]),
        (Stage.SUBMITTED, ADMIN, ["review", "cancel"]),
        (Stage.CHANGES_REQUESTED, OFFICER, ["amend", "withdraw"]),
        (Stage.MATCHING, OFFICER, ["select-partner", "withdraw"]),
        (Stage.MATCHING, INVITED, ["respond"]),
        (Stage.TRIAL_SCHEDULED, OFFICER, ["end-trial", "withdraw"]),
        (Stage.TRIAL_RUNNING, OFFICER, ["progress", "end-trial"]),
        (Stage.EVALUATION, OFFICER, ["evaluation"]),
        (Stage.EVALUATION, ADMIN, ["cancel"]),
    ],
)
def test_allowed_actions_by_stage_and_role(stage: Stage, actor: Actor, expected: list[str]) -> None:
    assert allowed_actions(_state(stage, partner_company_id="p1"), actor) == expected


def test_partner_reports_and_other_companies_do_not() -> None:
    running = _state(Stage.TRIAL_RUNNING, partner_company_id="p1")
    assert allowed_actions(running, PARTNER) == ["progress", "end-trial"]
    assert allowed_actions(running, INVITED) == []
    refused = refusal(running, Action.PROGRESS, INVITED)
    assert refused is not None and refused.kind == RefusalKind.ROLE


def test_objects_hidden_from_those_they_do_not_concern() -> None:
    submitted = _state(Stage.SUBMITTED)
    for actor in (FOREIGN_OFFICER, STRANGER):
        refused = refusal(
            submitted, Action.WITHDRAW if actor.role != "company" else Action.RESPOND, actor
        )
        assert refused is not None and refused.kind == RefusalKind.HIDDEN


def test_decide_waits_for_the_evaluation() -> None:
    evaluation = _state(Stage.EVALUATION)
    refused = refusal(evaluation, Action.DECIDE, ADMIN)
    assert refused is not None and refused.kind == RefusalKind.STAGE
    evaluation.evaluation = Evaluation([], 4, "ok", "stop")
    assert "decide" in allowed_actions(evaluation, ADMIN)


def test_replication_is_for_other_towns_and_generalized_pilots() -> None:
    closed = _state(Stage.CLOSED, outcome="generalize")
    assert allowed_actions(closed, FOREIGN_OFFICER) == ["replicate"]
    assert allowed_actions(closed, OFFICER) == []
    stopped = _state(Stage.CLOSED, outcome="stop")
    refused = refusal(stopped, Action.REPLICATE, FOREIGN_OFFICER)
    assert refused is not None and refused.kind == RefusalKind.HIDDEN


def test_every_action_has_a_rule() -> None:
    assert set(RULES) == set(Action)


def test_a_progress_report_counts_against_the_town_or_the_partner() -> None:
    assert reporter(OFFICER) is ReportingParty.TOWN
    assert reporter(PARTNER) is ReportingParty.PARTNER
    assert [party.value for party in ReportingParty] == ["town", "partner"]


@pytest.mark.parametrize("stage", list(Stage))
def test_allowed_actions_are_exactly_those_no_refusal_stops(stage: Stage) -> None:
    # allowed_actions skips the refusals its role and stage rule decide; it must not differ.
    evaluated = Evaluation([], 4, "ok", "generalize")
    for state in (
        _state(stage),
        _state(stage, partner_company_id="p1", evaluation=evaluated, outcome="generalize"),
    ):
        for actor in (ADMIN, OFFICER, FOREIGN_OFFICER, INVITED, PARTNER, STRANGER):
            refused_by_none = [str(a) for a in Action if refusal(state, a, actor, now=NOW) is None]
            assert allowed_actions(state, actor, NOW) == refused_by_none
