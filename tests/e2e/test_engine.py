"""The engine on real parts: the Temporal dev server, the database, an SMTP server on loopback.

One pilot goes from submission to generalization with the real activities; the email that
arrives, the read model, the audit trail and the search attributes must all match the
workflow.
"""

import asyncio
from collections import Counter
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cli.smtp_sink import SmtpSink
from cli.worker import build_worker
from core.db import transaction
from core.lead_times import Grouping, Period, funnel, lead_times
from core.models import AuditEvent, Company, Notification, Pilot, Town, User
from core.pilot_state import state_from_json
from core.settings import Settings
from service.pilots import start_pilot, workflow_id
from tests.support.histories import save_history
from workflows.contracts import (
    Actor,
    DecideRequest,
    Evaluation,
    EvaluationRequest,
    Kpi,
    Measurement,
    ProgressRequest,
    Proposal,
    RespondRequest,
    ReviewRequest,
    SelectPartnerRequest,
)
from workflows.pilot import PilotWorkflow
from workflows.stages import Stage

TITLE = 'Éclairage <script>alert("x")</script>'
INJECTION = "Fine by us\r\nBcc: evil@example.com"


async def _region(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(sessions) as session:
        session.add_all([Town(id="lille", name="Lille"), Town(id="roubaix", name="Roubaix")])
        session.add_all(
            [
                Company(
                    id="lumen",
                    name="Lumen SAS",
                    contact_email="contact@lumen.example",
                    themes=["efficient-city"],
                    tags=["lighting"],
                    locale="en",
                ),
                Company(
                    id="arts",
                    name="Arts & Co",
                    contact_email="hello@arts.example",
                    themes=["creative-city"],
                    tags=["lighting"],
                ),
            ]
        )
        await session.flush()
        users = [
            ("admin@region.example", "admin", None, None, "fr", True),
            ("officer@lille.example", "town_officer", "lille", None, "fr", True),
            ("officer@roubaix.example", "town_officer", "roubaix", None, "en", True),
            ("quiet@roubaix.example", "town_officer", "roubaix", None, "fr", False),
            ("staff@lumen.example", "company", None, "lumen", "fr", True),
            ("staff@arts.example", "company", None, "arts", "fr", True),
        ]
        session.add_all(
            User(
                id=email.split("@")[0] + email.split("@")[1][:4],
                email=email,
                role=role,
                town_id=town,
                company_id=company,
                locale=locale,
                receives_offers=offers,
                password_hash="-",
            )
            for email, role, town, company, locale, offers in users
        )


async def _until(check, what: str, seconds: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def _listed(client: Client, query: str) -> bool:
    return bool([w async for w in client.list_workflows(query)])


def _mail(sink: SmtpSink, subject_part: str) -> list[EmailMessage]:
    return [m for m in sink.messages if subject_part in str(m["Subject"])]


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_pilot_runs_to_generalization_on_real_parts(
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    sink: SmtpSink,
    task_queue: str,
) -> None:
    await _region(sessions)
    settings = Settings(
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        temporal_task_queue=task_queue,
        day_seconds=0.05,
        review_reminder_days=10_000,
        checkin_period_days=30,
        evaluation_reminder_days=10_000,
    )
    client = dev_env.client
    officer = Actor("town_officer", "officerlill", town_id="lille")
    admin = Actor("admin", "adminregi")
    lumen = Actor("company", "stafflume", company_id="lumen")
    proposal = Proposal(
        town_id="lille",
        title=TITLE,
        summary="Dim the lights when the street is empty.",
        theme="efficient-city",
        needs=["lighting"],
        budget_eur=25000.0,
        desired_start=datetime.now(UTC).date(),
        duration_days=40,
        kpis=[Kpi("energy", "kWh", 1000.0, 700.0)],
    )
    async with build_worker(client, settings, sessions):
        pilot_id = await start_pilot(client, settings, proposal, officer)
        handle = client.get_workflow_handle_for(PilotWorkflow.run, workflow_id(pilot_id))
        await _until(
            lambda: _listed(client, f"WorkflowId='{handle.id}' AND PilotStage='submitted'"),
            "the submitted pilot in visibility",
        )
        await handle.execute_update(PilotWorkflow.review, ReviewRequest(admin, "approve", "Go"))
        await _until(lambda: _async(len(_mail(sink, "Invitation")) >= 2), "invitations")
        assert await _listed(client, f"WorkflowId='{handle.id}' AND PilotTheme='efficient-city'")
        await handle.execute_update(PilotWorkflow.respond, RespondRequest(lumen, True, INJECTION))
        result = await handle.execute_update(
            PilotWorkflow.select_partner, SelectPartnerRequest(officer, "lumen")
        )
        assert result.stage == "trial_running"
        await handle.execute_update(
            PilotWorkflow.report_progress,
            ProgressRequest(lumen, [Measurement("energy", 820.0)], "halfway"),
        )
        await _until(lambda: state_is(handle, "evaluation"), "the trial's end", seconds=30)
        await handle.execute_update(
            PilotWorkflow.submit_evaluation,
            EvaluationRequest(
                officer, Evaluation([Measurement("energy", 690.0)], 5, "Works", "generalize")
            ),
        )
        await handle.execute_update(
            PilotWorkflow.decide, DecideRequest(admin, "generalize", comment="Offer it")
        )
        result = await handle.result()
        final = await handle.query(PilotWorkflow.get_state)
        await save_history(handle, "generalized_on_dev_server")

    assert (result.stage, result.outcome) == ("closed", "generalize")
    assert await _until(
        lambda: _listed(client, f"WorkflowId='{handle.id}' AND PilotStage='closed'"),
        "the closed stage in visibility",
    )
    outbox = await _assert_read_model(sessions, pilot_id, final.seq)
    _assert_email(sink, outbox)
    await _assert_lead_times(sessions)


async def _async(value: object) -> object:
    return value


async def state_is(handle, stage: str) -> bool:  # type: ignore[no-untyped-def]
    return (await handle.query(PilotWorkflow.get_state)).stage == stage


def _assert_email(sink: SmtpSink, outbox: list[Notification]) -> None:
    messages = sink.messages
    ids = Counter(str(m["Message-ID"]) for m in messages)
    assert all(n == 1 for n in ids.values()), "a message was delivered twice"
    # Every outbox row arrived exactly once, and nothing arrived that the outbox does not know.
    assert sorted(ids) == sorted(n.message_id for n in outbox)
    for message in messages:
        assert message.get_content_type() == "multipart/alternative"
        kinds = [part.get_content_type() for part in message.iter_parts()]
        assert kinds == ["text/plain", "text/html"]
        assert "Bcc" not in message
        html = message.get_body(("html",))
        assert html is not None
        assert "<script>" not in html.get_content()
        assert "&lt;script&gt;" in html.get_content()
    sent = {(n.template, n.to_address): n for n in outbox}
    by_id = {str(m["Message-ID"]): m for m in messages}
    invited = sorted(address for template, address in sent if template == "invitation")
    assert invited == ["contact@lumen.example", "staff@lumen.example"]
    assert not any("arts.example" in address for _, address in sent)
    # The company's contact reads English, its staff member French.
    contact = by_id[sent[("invitation", "contact@lumen.example")].message_id]
    staff = by_id[sent[("invitation", "staff@lumen.example")].message_id]
    assert str(contact["Subject"]).startswith("Invitation to a pilot")
    assert str(staff["Subject"]).startswith("Invitation à un pilote")
    offered = {address for template, address in sent if template == "generalization_offer"}
    assert offered == {"officer@roubaix.example"}
    for template in (
        "pilot_submitted",
        "review_outcome",
        "answer_received",
        "partner_chosen",
        "trial_started",
        "checkin_request",
        "trial_ended",
        "evaluation_request",
        "decision",
    ):
        assert any(t == template for t, _ in sent), f"no {template} email"


async def _assert_read_model(
    sessions: async_sessionmaker[AsyncSession], pilot_id: str, final_seq: int
) -> list[Notification]:
    async with sessions() as session:
        pilot = await session.get(Pilot, pilot_id)
        events = list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.pilot_id == pilot_id).order_by(AuditEvent.seq)
            )
        )
        outbox = list(
            await session.scalars(select(Notification).where(Notification.pilot_id == pilot_id))
        )
    assert pilot is not None
    assert (pilot.stage, pilot.outcome, pilot.partner_company_id) == (
        "closed",
        "generalize",
        "lumen",
    )
    assert pilot.version == final_seq
    assert state_from_json(pilot.state).seq == final_seq
    assert [e.seq for e in events] == list(range(1, final_seq + 1))
    kinds = [e.kind for e in events]
    assert kinds[:3] == ["submitted", "reviewed", "companies_invited"]
    assert kinds[-2:] == ["decided", "generalization_offered"]
    for kind in ("answered", "partner_selected", "progress_reported", "trial_ended"):
        assert kind in kinds
    assert "checkin_requested" in kinds
    assert events[1].actor == {"user_id": "adminregi", "role": "admin"}
    assert next(e for e in events if e.kind == "trial_ended").actor == {"system": "timer"}
    assert outbox and all(n.status == "sent" for n in outbox)
    return outbox


async def _assert_lead_times(sessions: async_sessionmaker[AsyncSession]) -> None:
    """The real trail's stays: one per stage passed through, the trial's as long as its timer
    (40 days of 0.05 s), and the funnel's steps up to the generalize decision."""
    async with sessions() as session:
        times = await lead_times(session, Grouping.THEME, Period())
        steps, _ = await funnel(session, Period())
    stays = {t.stage: t for t in times.overall}
    for stage in ("submitted", "matching", "trial_running", "evaluation"):
        assert (stays[Stage(stage)].stays, stays[Stage(stage)].open) == (1, 0), stage
    assert (stays[Stage.TRIAL_SCHEDULED].stays, stays[Stage.CHANGES_REQUESTED].stays) == (0, 0)
    trial = stays[Stage.TRIAL_RUNNING].median_seconds
    assert trial is not None and 2.0 <= trial < 10.0
    assert [step.pilots for step in steps] == [1, 1, 1, 1, 1, 1, 0]
