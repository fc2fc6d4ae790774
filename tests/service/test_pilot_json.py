"""The JSON API's pilots from kept answers: the same bytes as the model, for every reader."""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import TypeAdapter

from core.models import User
from core.pilot_repository import StoredState, decode_state
from core.pilot_state import state_to_json
from service.pilot_json import page_json, pilot_json
from service.pilots import to_public
from service.schemas.pilots import PilotPage, PilotPublic
from tests.support.sample_pilot import PARTNER_ID, sample_pilot_state
from workflows.contracts import CandidateState, PilotState

TOWN = "t1"
DECLINED = "d0000000000000000000000000000002"
ANSWERING = "a0000000000000000000000000000005"
EXPIRED = "e0000000000000000000000000000003"
STRANGER = "f0000000000000000000000000000004"

READERS = {
    "admin": User(id="u-admin", role="admin"),
    "own town": User(id="u-own", role="town_officer", town_id=TOWN),
    "other town": User(id="u-other", role="town_officer", town_id="t2"),
    "partner": User(id="u-partner", role="company", company_id=PARTNER_ID),
    "declined": User(id="u-declined", role="company", company_id=DECLINED),
    "answering": User(id="u-answering", role="company", company_id=ANSWERING),
    "expired": User(id="u-expired", role="company", company_id=EXPIRED),
    "stranger": User(id="u-stranger", role="company", company_id=STRANGER),
}


def matching_pilot() -> PilotState:
    """Companies still answering: the partner-to-be, one that declined (and may change its
    mind), one yet to answer, and one whose invitation expired."""
    state = sample_pilot_state(town_id=TOWN)
    state.stage, state.waiting_on = "matching", "companies"
    state.deadline = datetime.now(UTC) + timedelta(days=9)
    state.partner_company_id = None
    state.candidates += [
        CandidateState(DECLINED, "Declined SA", 7.5, ["near"], 1, "declined", "Pas cette fois."),
        CandidateState(ANSWERING, "Slow SARL", 3.0, ["tags"], 1, "invited", ""),
        CandidateState(EXPIRED, "Silent SARL", 2.0, ["tags"], 1, "expired", ""),
    ]
    return state


def closed_pilot() -> PilotState:
    state = matching_pilot()
    state.stage, state.outcome, state.waiting_on = "closed", "generalize", "admin"
    state.partner_company_id = PARTNER_ID
    state.candidates[0].status = "selected"
    return state


def stored(state: PilotState) -> StoredState:
    return StoredState.of(json.dumps(state_to_json(state)))


def expected(state: PilotState, user: User) -> bytes:
    """What FastAPI writes for the model `to_public` builds."""
    return TypeAdapter(PilotPublic).dump_json(to_public(state, user))


@pytest.mark.parametrize("make", [matching_pilot, closed_pilot])
def test_every_reader_gets_the_models_bytes_first_time_and_kept(
    make: Callable[[], PilotState],
) -> None:
    pilot = stored(make())
    for _ in range(2):  # the second round is answered from what the first one kept
        for name, user in READERS.items():
            if name == "stranger":
                continue  # hidden: the query never hands it a row
            assert pilot_json(pilot, user) == expected(pilot.state, user), name


def test_a_company_never_reads_what_another_company_was_answered() -> None:
    pilot = stored(matching_pilot())
    partner = json.loads(pilot_json(pilot, READERS["partner"]))
    declined = json.loads(pilot_json(pilot, READERS["declined"]))
    assert [c["company_id"] for c in partner["candidates"]] == [PARTNER_ID]
    assert [c["company_id"] for c in declined["candidates"]] == [DECLINED]
    # Still asked for their answer, they read its deadline; the expired one does not.
    assert declined["deadline"] is not None
    assert json.loads(pilot_json(pilot, READERS["answering"]))["deadline"] == declined["deadline"]
    assert json.loads(pilot_json(pilot, READERS["expired"]))["deadline"] is None


def test_a_changed_state_is_answered_afresh() -> None:
    before = matching_pilot()
    officer = READERS["own town"]
    assert json.loads(pilot_json(stored(before), officer))["stage"] == "matching"
    after = matching_pilot()
    after.stage = "trial_running"
    assert json.loads(pilot_json(stored(after), officer))["stage"] == "trial_running"


def test_the_same_text_decodes_to_one_kept_state() -> None:
    document = json.dumps(state_to_json(matching_pilot()))
    assert decode_state("".join(list(document))) is decode_state(document)


def test_a_page_is_the_models_page() -> None:
    pilots = [stored(matching_pilot()), stored(closed_pilot())]
    for user in (READERS["admin"], READERS["own town"], READERS["partner"]):
        for cursor in (None, "abc"):
            page = PilotPage(items=[to_public(p.state, user) for p in pilots], next_cursor=cursor)
            assert page_json(pilots, cursor, user) == TypeAdapter(PilotPage).dump_json(page)
    assert json.loads(page_json([], None, READERS["admin"])) == {"items": [], "next_cursor": None}
