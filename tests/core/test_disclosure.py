"""The disclosure policy, relation by relation: the pilot, every event kind, every email's extra."""

import dataclasses
import re
from typing import Any

import pytest

from core.disclosure import (
    EVENT_RULES,
    OPEN_STATE_FIELDS,
    STATE_FIELDS,
    Relation,
    Viewer,
    disclose,
    email_extra,
    recipient_relation,
    relation_of,
    view_event,
    view_pilot,
)
from core.settings import PROJECT_ROOT
from tests.support.sample_pilot import PARTNER_ID, SAMPLE_EXTRAS, sample_pilot_state
from workflows.contracts import CandidateState, EventKind, PilotState

TOWN = "t1"
DECLINED = "d0000000000000000000000000000002"
EXPIRED = "e0000000000000000000000000000003"
STRANGER = "f0000000000000000000000000000004"

A = Relation.ADMIN
OWN = Relation.OWN_TOWN
PARTNER = Relation.PARTNER
INVITED = Relation.INVITED
OTHER = Relation.OTHER_TOWN
NONE = Relation.NONE
ALL = (A, OWN, PARTNER, INVITED, OTHER, NONE)


def closed_pilot() -> PilotState:
    """A pilot closed `generalize`: a partner, a company that declined, one that never answered."""
    state = sample_pilot_state(town_id=TOWN)
    state.stage, state.outcome, state.checkins = "closed", "generalize", 3
    state.waiting_on = "admin"
    state.candidates[0].status = "selected"
    state.candidates += [
        CandidateState(DECLINED, "Declined SA", 7.5, ["near"], 1, "declined", "Pas cette fois."),
        CandidateState(EXPIRED, "Silent SARL", 3.0, ["tags"], 1, "expired", ""),
    ]
    state.mark_missed(2)
    return state


def company_of(relation: Relation) -> str | None:
    return {PARTNER: PARTNER_ID, INVITED: DECLINED}.get(relation)


# ---- relations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        (Viewer("admin"), A),
        (Viewer("town_officer", town_id=TOWN), OWN),
        (Viewer("town_officer", town_id="t2"), OTHER),
        (Viewer("town_officer"), OTHER),
        (Viewer("company", company_id=PARTNER_ID), PARTNER),
        (Viewer("company", company_id=DECLINED), INVITED),
        (Viewer("company", company_id=EXPIRED), INVITED),
        (Viewer("company", company_id=STRANGER), NONE),
        (Viewer("company"), NONE),
        (Viewer("someone"), NONE),
    ],
)
def test_each_viewer_has_one_relation(viewer: Viewer, expected: Relation) -> None:
    assert relation_of(closed_pilot(), viewer) == expected


@pytest.mark.parametrize(("stage", "outcome"), [("closed", "stop"), ("evaluation", None)])
def test_another_town_reads_only_a_generalized_pilot(stage: str, outcome: str | None) -> None:
    state = closed_pilot()
    state.stage, state.outcome = stage, outcome
    assert relation_of(state, Viewer("town_officer", town_id="t2")) == NONE
    assert relation_of(state, Viewer("town_officer", town_id=TOWN)) == OWN


def test_before_a_partner_is_chosen_every_invited_company_is_invited() -> None:
    state = closed_pilot()
    state.partner_company_id = None
    assert relation_of(state, Viewer("company", company_id=PARTNER_ID)) == INVITED


# ---- the pilot ------------------------------------------------------------------------------


def _fields(state: PilotState) -> dict[str, Any]:
    return {
        "candidates": sorted(c.company_id for c in state.candidates),
        "outcome": state.outcome,
        "partner_company_id": state.partner_company_id,
        "trial_start": state.trial_start is not None,
        "trial_end": state.trial_end is not None,
        "evaluation": state.evaluation is not None,
        "checkins": state.checkins,
        "deadline": state.deadline is not None,
        "waiting_on": state.waiting_on,
        "kpi_points": sum(len(series.points) for series in state.kpi_series),
        "missed_checkins": (state.missed_checkins, state.missed_checkin_count),
    }


EVERYTHING = {
    "candidates": sorted([PARTNER_ID, DECLINED, EXPIRED]),
    "outcome": "generalize",
    "partner_company_id": PARTNER_ID,
    "trial_start": True,
    "trial_end": True,
    "evaluation": True,
    "checkins": 3,
    "deadline": True,
    "waiting_on": "admin",
    "kpi_points": 2,  # the trial's evidence: the town's side and the partner only
    "missed_checkins": ([2], 1),
}
NOTHING = {
    "candidates": [],
    "outcome": None,
    "partner_company_id": None,
    "trial_start": False,
    "trial_end": False,
    "evaluation": False,
    "checkins": 0,
    "deadline": False,
    "waiting_on": None,
    "kpi_points": 0,
    "missed_checkins": ([], 0),
}
PUBLISHED = {
    "outcome": "generalize",
    "partner_company_id": PARTNER_ID,
    "trial_start": True,
    "trial_end": True,
    "evaluation": True,
}
PILOT_BY_RELATION: dict[Relation, tuple[dict[str, Any], str | None]] = {
    A: (EVERYTHING, "Lumina SAS"),
    OWN: (EVERYTHING, "Lumina SAS"),
    PARTNER: (EVERYTHING | {"candidates": [PARTNER_ID]}, "Lumina SAS"),
    INVITED: (NOTHING | {"candidates": [DECLINED]}, None),
    OTHER: (NOTHING | PUBLISHED, "Lumina SAS"),
    NONE: (NOTHING, None),
}


@pytest.mark.parametrize("relation", ALL)
def test_each_relation_reads_its_part_of_the_pilot(relation: Relation) -> None:
    state = closed_pilot()
    view = disclose(state, relation, company_id=company_of(relation))
    expected, partner_name = PILOT_BY_RELATION[relation]
    assert view.relation == relation
    assert _fields(view.state) == expected
    assert view.partner_name == partner_name
    # The proposal and the stage are everyone's; the original state is left whole.
    assert view.state.proposal == state.proposal and view.state.stage == "closed"
    assert _fields(state) == EVERYTHING


def test_every_part_of_the_state_is_ruled() -> None:
    """A part added to PilotState is the town side's alone until a rule here opens it."""
    parts = {part.name for part in dataclasses.fields(PilotState)}
    assert parts == OPEN_STATE_FIELDS | set(STATE_FIELDS)


def test_a_company_reads_its_own_entry_whole_and_no_other() -> None:
    view = view_pilot(closed_pilot(), Viewer("company", company_id=DECLINED))
    [own] = view.state.candidates
    assert (own.score, own.message, own.reasons) == (7.5, "Pas cette fois.", ["near"])


def test_a_company_still_answering_reads_its_deadline() -> None:
    state = closed_pilot()
    state.stage, state.outcome = "matching", None
    state.candidates[1].status = "invited"
    answering = view_pilot(state, Viewer("company", company_id=DECLINED)).state
    assert answering.deadline == state.deadline and answering.waiting_on == "admin"
    gone = view_pilot(state, Viewer("company", company_id=EXPIRED)).state
    assert gone.deadline is None and gone.waiting_on is None


# ---- the audit trail -----------------------------------------------------------------------

OFFICER = {"user_id": "u-officer", "role": "town_officer"}
TIMER = {"system": "timer"}
# One event of every kind the workflow records, with every key it writes.
EVENTS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("submitted", {"title": "T"}, OFFICER),
    ("review_reminder", {"reminder": 1}, TIMER),
    ("reviewed", {"decision": "request_changes", "comment": "C"}, OFFICER),
    ("amended", {"title": "T2"}, OFFICER),
    ("companies_invited", {"round": 1, "company_ids": [PARTNER_ID, DECLINED, EXPIRED]}, TIMER),
    ("invitation_reminder", {"company_ids": [DECLINED, EXPIRED]}, TIMER),
    ("answered", {"company_id": PARTNER_ID, "interested": True, "message": "M1"}, OFFICER),
    ("answered", {"company_id": DECLINED, "interested": False, "message": "M2"}, OFFICER),
    ("responses_closed", {"round": 1, "expired": [EXPIRED]}, TIMER),
    ("partner_selected", {"company_id": PARTNER_ID, "trial_start": "2025-04-01"}, OFFICER),
    ("trial_started", {}, TIMER),
    ("checkin_requested", {"checkin": 1}, TIMER),
    ("progress_reported", {"measurements": [{"kpi": "k", "value": 1}], "note": "N"}, OFFICER),
    ("trial_ended", {"reason": "R"}, OFFICER),
    ("evaluation_reminder", {"reminder": 1}, TIMER),
    (
        "evaluation_submitted",
        {"kpi_results": [], "satisfaction": 4, "lessons": "L", "recommendation": "generalize"},
        OFFICER,
    ),
    ("decided", {"decision": "extend", "comment": "DC", "extension_days": 30}, OFFICER),
    ("withdrawn", {"reason": "W"}, OFFICER),
    ("cancelled", {"reason": "X"}, OFFICER),
    ("unmatched", {"reason": "U"}, TIMER),
    ("generalization_offered", {}, TIMER),
    ("checkin_reminder", {"checkin": 2, "parties": ["town", "partner"]}, TIMER),
    ("checkin_missed", {"checkin": 2}, TIMER),
]

# For each relation, the data each event shows (None: the event is not shown). The town's
# side sees every event whole.
EXPECTED_EVENTS: dict[Relation, list[dict[str, Any] | None]] = {
    PARTNER: [
        {"title": "T"},
        None,
        {"decision": "request_changes"},
        {"title": "T2"},
        {"round": 1, "company_ids": [PARTNER_ID]},
        {"company_ids": []},
        {"company_id": PARTNER_ID, "interested": True, "message": "M1"},
        None,
        {"round": 1, "expired": []},
        {"company_id": PARTNER_ID, "trial_start": "2025-04-01"},
        {},
        {"checkin": 1},
        {"measurements": [{"kpi": "k", "value": 1}], "note": "N"},
        {"reason": "R"},
        {"reminder": 1},
        {"kpi_results": [], "satisfaction": 4, "lessons": "L", "recommendation": "generalize"},
        {"decision": "extend", "extension_days": 30},
        {"reason": "W"},
        {"reason": "X"},
        {"reason": "U"},
        {},
        {"checkin": 2, "parties": ["town", "partner"]},
        {"checkin": 2},
    ],
    INVITED: [
        {"title": "T"},
        None,
        {"decision": "request_changes"},
        {"title": "T2"},
        {"round": 1, "company_ids": [DECLINED]},
        {"company_ids": [DECLINED]},
        None,
        {"company_id": DECLINED, "interested": False, "message": "M2"},
        {"round": 1, "expired": []},
        {},
        {},
        None,
        None,
        {},
        None,
        None,
        {},
        {},
        {},
        {},
        {},
        None,
        None,
    ],
    OTHER: [
        {"title": "T"},
        None,
        {"decision": "request_changes"},
        {"title": "T2"},
        None,
        None,
        None,
        None,
        None,
        {"company_id": PARTNER_ID, "trial_start": "2025-04-01"},
        {},
        None,
        None,
        {},
        None,
        {"kpi_results": [], "satisfaction": 4, "lessons": "L", "recommendation": "generalize"},
        {"decision": "extend", "extension_days": 30},
        {},
        {},
        {},
        {},
        None,
        None,
    ],
    NONE: [None] * len(EVENTS),
    A: [data for _, data, _ in EVENTS],
    OWN: [data for _, data, _ in EVENTS],
}


def test_every_kind_the_workflow_records_has_a_rule_and_a_case_here() -> None:
    source = (PROJECT_ROOT / "workflows" / "pilot.py").read_text()
    recorded = {EventKind[name] for name in re.findall(r"EventKind\.(\w+)", source)}
    assert recorded == set(EventKind), "every EventKind is one the workflow records"
    assert set(EVENT_RULES) == set(EventKind)
    assert {kind for kind, _, _ in EVENTS} == set(EventKind)


@pytest.mark.parametrize("relation", ALL)
def test_each_relation_reads_its_part_of_every_event(relation: Relation) -> None:
    shown = []
    for kind, data, actor in EVENTS:
        view = view_event(kind, data, actor, relation, company_id=company_of(relation))
        shown.append(None if view is None else view.data)
    assert shown == EXPECTED_EVENTS[relation]


def test_another_town_reads_who_acted_by_role_only() -> None:
    for relation in ALL:
        view = view_event("submitted", {"title": "T"}, OFFICER, relation)
        if view is None:
            continue
        expected = {"user_id": None, "role": "town_officer"} if relation == OTHER else OFFICER
        assert view.actor == expected
    timer = view_event("trial_started", {}, TIMER, OTHER)
    assert timer is not None and timer.actor == TIMER


def test_an_unknown_kind_or_key_stays_with_the_town_side() -> None:
    for relation in ALL:
        view = view_event("new_kind", {"secret": 1}, TIMER, relation)
        assert (view is not None) == (relation in (A, OWN))
        known = view_event("submitted", {"title": "T", "secret": 1}, TIMER, relation)
        if known is not None:
            assert ("secret" in known.data) == (relation in (A, OWN))


# ---- email ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("audience", "company_id", "expected"),
    [
        ("town", None, OWN),
        ("admins", None, A),
        ("other_towns", None, OTHER),
        ("companies", PARTNER_ID, PARTNER),
        ("companies", DECLINED, INVITED),
        ("companies", STRANGER, NONE),
        ("", None, NONE),
    ],
)
def test_an_email_recipient_stands_as_its_audience(
    audience: str, company_id: str | None, expected: Relation
) -> None:
    assert recipient_relation(closed_pilot(), audience, company_id) == expected


@pytest.mark.parametrize(
    ("template", "relation", "expected"),
    [
        ("decision", OWN, SAMPLE_EXTRAS["decision"]),
        ("decision", A, SAMPLE_EXTRAS["decision"]),
        ("decision", PARTNER, {"decision": "extend", "extension_days": 30}),
        ("decision", INVITED, {}),
        ("review_outcome", OWN, SAMPLE_EXTRAS["review_outcome"]),
        ("review_outcome", PARTNER, {"decision": "request_changes"}),
        ("answer_received", OWN, SAMPLE_EXTRAS["answer_received"]),
        ("answer_received", PARTNER, {}),
        ("answer_received", OTHER, {}),
        ("trial_ended", PARTNER, {"reason": "Capteurs défaillants"}),
        ("trial_ended", INVITED, {}),
        ("checkin_request", PARTNER, {"checkin": 2}),
        ("checkin_request", INVITED, {}),
        ("pilot_ended", PARTNER, {"stage": "unmatched", "reason": ""}),
        ("pilot_ended", INVITED, {"stage": "unmatched"}),
        ("pilot_submitted", OWN, {"resubmitted": True}),
        ("review_reminder", PARTNER, {}),
        ("generalization_offer", OTHER, {}),
        ("no_such_template", PARTNER, {}),
    ],
)
def test_each_recipient_reads_its_part_of_an_email(
    template: str, relation: Relation, expected: dict[str, Any]
) -> None:
    extra = SAMPLE_EXTRAS.get(template, {"secret": 1})
    assert email_extra(template, extra, relation, company_id=company_of(relation)) == expected
