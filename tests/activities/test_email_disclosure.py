"""Each recipient's email carries what that recipient may read (core.disclosure), over SMTP."""

from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.email_rendering import Links, Recipient, email_context
from cli.smtp_sink import SmtpSink
from tests.activities.test_notifications import (
    REGION,
    by_recipient,
    make_activities,
    parts,
    request,
)
from tests.support.sample_pilot import sample_pilot_state
from workflows.contracts import CandidateState, PilotState

COMMENT = "Confidentiel : la ville doit revoir son budget."
OFFER = "Notre offre secrète à 12 000 euros."
PROGRESS_REASON = "Capteurs du partenaire défaillants"


def pilot(stage: str = "evaluation", outcome: str | None = None) -> PilotState:
    """Roubaix's pilot: Lumina is the partner, Solo was interested and not chosen."""
    state = sample_pilot_state(town_id=REGION.roubaix)
    state.stage, state.outcome = stage, outcome
    state.partner_company_id = REGION.lumina
    state.candidates = [
        CandidateState(REGION.lumina, "Lumina", 8.8, ["tags: iot"], 1, "selected", "Oui !"),
        CandidateState(REGION.solo, "Solo", 6.4, ["near"], 1, "not_selected", OFFER),
    ]
    return state


def texts(sink: SmtpSink) -> dict[str, str]:
    """Each recipient's text and HTML parts together."""
    return {to: "\n".join(parts(message)) for to, message in by_recipient(sink.messages).items()}


async def test_the_partner_reads_the_decision_without_the_programme_teams_comment(
    region: async_sessionmaker[AsyncSession], sink: SmtpSink, tmp_path: Path
) -> None:
    activities = make_activities(region, sink.port, tmp_path)
    extra = {"decision": "extend", "comment": COMMENT, "extension_days": 30}
    notification = request(
        "decision",
        ["town", "companies", "admins"],
        company_ids=[REGION.lumina],
        extra=extra,
        state=pilot(),
    )
    await activities.send_notification(notification)
    bodies = texts(sink)
    assert set(bodies) == {
        "officer@roubaix.example",
        "admin@region.example",
        "contact@lumina.example",
        "ceo@lumina.example",
    }
    for town_side in ("officer@roubaix.example", "admin@region.example"):
        assert COMMENT in bodies[town_side]
    for partner in ("contact@lumina.example", "ceo@lumina.example"):
        assert COMMENT not in bodies[partner]
        # The decision itself is the partner's to read.
        assert "30" in bodies[partner]
        assert OFFER not in bodies[partner]


async def test_a_company_not_chosen_reads_no_reason_and_no_other_answer(
    region: async_sessionmaker[AsyncSession], sink: SmtpSink, tmp_path: Path
) -> None:
    activities = make_activities(region, sink.port, tmp_path)
    extra = {"stage": "cancelled", "reason": PROGRESS_REASON}
    notification = request(
        "pilot_ended",
        ["town", "companies"],
        company_ids=[REGION.lumina, REGION.solo],
        extra=extra,
        state=pilot(stage="cancelled"),
    )
    await activities.send_notification(notification)
    bodies = texts(sink)
    assert PROGRESS_REASON in bodies["officer@roubaix.example"]
    assert PROGRESS_REASON in bodies["ceo@lumina.example"]
    solo = bodies["jean@solo.example"]
    assert PROGRESS_REASON not in solo
    assert "Lumina" not in solo and "Oui !" not in solo


async def test_the_offer_to_other_towns_carries_no_answer_score_or_address(
    region: async_sessionmaker[AsyncSession], sink: SmtpSink, tmp_path: Path
) -> None:
    activities = make_activities(region, sink.port, tmp_path)
    notification = request(
        "generalization_offer", ["other_towns"], state=pilot("closed", "generalize")
    )
    await activities.send_notification(notification)
    [body] = texts(sink).values()
    # The partner's name, the evaluation and its results are what the offer is for.
    assert "Lumina" in body and "Prévoir une réunion publique" in body
    for secret in (OFFER, "Oui !", "8,8", "8.8", "6,4", "6.4", "tags: iot", "@"):
        assert secret not in body, secret


def test_a_template_cannot_print_what_its_recipient_may_not_read() -> None:
    """The context itself is cut down, so a future template cannot leak by mistake."""
    state = pilot("closed", "generalize")
    links = Links("https://pilotflow.example/pilots/p1")

    def context(audience: str, company_id: str | None = None) -> dict[str, Any]:
        recipient = Recipient("x@y.example", "X", "fr", company_id, audience=audience)
        extra = {"decision": "generalize", "comment": COMMENT}
        return email_context(
            pilot=state, recipient=recipient, links=links, template="decision", extra=extra
        )

    other_town = context("other_towns")
    assert other_town["pilot"].candidates == [] and other_town["partner"] == "Lumina"
    assert other_town["pilot"].evaluation is not None
    assert other_town["extra"] == {"decision": "generalize"}
    not_chosen = context("companies", REGION.solo)
    assert [c.company_id for c in not_chosen["pilot"].candidates] == [REGION.solo]
    assert not_chosen["pilot"].evaluation is None and not_chosen["partner"] == ""
    assert not_chosen["pilot"].partner_company_id is None and not_chosen["extra"] == {}
    town = context("town")
    assert len(town["pilot"].candidates) == 2 and town["extra"]["comment"] == COMMENT
    assert state.candidates[1].message == OFFER  # the workflow's state is left whole
