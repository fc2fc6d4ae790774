"""Onboarding in bulk through the API, the worker, the real dev server and a real SMTP server.

Each imported person receives the invitation email; its link sets a password that signs in;
a second import creates nothing and starts no second email; an import whose invitations
could not be asked for (Temporal gone right after the commit) is recovered by importing again.
"""

import time

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from cli.smtp_sink import SmtpSink
from core.account_links import LinkPurpose, link_ttl_seconds, password_fingerprint
from core.models import User
from core.settings import Settings
from service.use_cases import imports
from tests.e2e.conftest import ADMIN
from tests.e2e.test_account_email import _link_token, _mail_to, _token
from tests.support.imports import counts as _counts
from tests.support.imports import post_import
from workflows.account_email import account_email_workflow_id
from workflows.contracts import AccountEmailRequest

FILE = (
    "kind;name;code;email;town;company;themes;tags;areas;locale;description\n"
    "town;Lille;59350;;;;;;;;\n"
    "officer;Camille Martin;;camille@lille.example;Lille;;;;;en;\n"
    "company;Lumen;;contact@lumen.example;;;efficient-city;iot;59350;fr;Éclairage\n"
    "company_user;Léa Dubois;;lea@lumen.example;;Lumen;;;;fr;\n"
)


async def _import(api: AsyncClient, admin: dict[str, str], *, dry_run: bool) -> Response:
    return await post_import(
        api, admin, FILE, content_type="text/csv; charset=utf-8", dry_run=str(dry_run).lower()
    )


async def _invitation_run(
    dev_env: WorkflowEnvironment, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> str:
    """The run id of Léa's invitation workflow, named as the service names it."""
    async with sessions() as session:
        lea = (
            await session.execute(select(User).where(User.email == "lea@lumen.example"))
        ).scalar_one()
    request = AccountEmailRequest(
        LinkPurpose.INVITATION.value, lea.id, password_fingerprint(lea.password_hash, settings)
    )
    bucket = int(time.time()) // link_ttl_seconds(LinkPurpose.INVITATION, settings)
    handle = dev_env.client.get_workflow_handle(account_email_workflow_id(request, bucket))
    return str((await handle.describe()).run_id)


async def test_imported_people_are_invited_and_a_second_import_creates_nothing(
    api: AsyncClient,
    sink: SmtpSink,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    dev_env: WorkflowEnvironment,
) -> None:
    admin = await _token(api, *ADMIN)
    before = await _counts(sessions)
    dry = await _import(api, admin, dry_run=True)
    assert dry.status_code == 200, dry.text
    assert dry.json()["invitations"] == 2
    assert await _counts(sessions) == before
    assert sink.messages == []

    real = await _import(api, admin, dry_run=False)
    assert real.status_code == 200, real.text
    assert {line["action"] for line in real.json()["lines"]} == {"create"}
    assert await _counts(sessions) == (before[0] + 1, before[1] + 1, before[2] + 2)
    [camille] = await _mail_to(sink, "camille@lille.example")
    [lea] = await _mail_to(sink, "lea@lumen.example")
    assert "choose a password" in str(camille["Subject"])  # her language: English
    assert "mot de passe" in str(lea["Subject"])
    token = _link_token(camille)
    chosen = {"token": token, "password": "camille-chose-1"}
    assert (await api.post("/api/v1/auth/password", json=chosen)).status_code == 204
    camille_headers = await _token(api, "camille@lille.example", "camille-chose-1")
    me = (await api.get("/api/v1/me", headers=camille_headers)).json()
    assert (me["role"], me["locale"]) == ("town_officer", "en")
    assert (await _import(api, camille_headers, dry_run=True)).status_code == 403

    run = await _invitation_run(dev_env, settings, sessions)
    again = await _import(api, admin, dry_run=False)
    assert again.status_code == 200, again.text
    lines = {line["key"]: line for line in again.json()["lines"]}
    assert {line["action"] for line in lines.values()} == {"unchanged"}
    # Camille has her password; Léa is asked for again, which is the same email.
    assert (
        lines["camille@lille.example"]["invitation"],
        lines["lea@lumen.example"]["invitation"],
    ) == (False, True)
    assert await _counts(sessions) == (before[0] + 1, before[1] + 1, before[2] + 2)
    assert await _invitation_run(dev_env, settings, sessions) == run
    assert len([m for m in sink.messages if str(m["To"]) == "lea@lumen.example"]) == 1


async def test_invitations_lost_to_an_outage_are_sent_by_importing_again(
    api: AsyncClient,
    sink: SmtpSink,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = await _token(api, *ADMIN)

    async def temporal_gone(*_args: object) -> None:
        raise RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")

    monkeypatch.setattr(imports, "send_account_email", temporal_gone)
    cut = await _import(api, admin, dry_run=False)
    assert cut.status_code == 503, cut.text
    assert "import the same file again" in cut.json()["detail"]
    assert "Retry-After" in cut.headers
    async with sessions() as session:
        emails = set((await session.execute(select(User.email))).scalars())
    assert {"camille@lille.example", "lea@lumen.example"} <= emails

    monkeypatch.undo()
    again = await _import(api, admin, dry_run=False)
    assert again.status_code == 200, again.text
    assert again.json()["invitations"] == 2
    await _mail_to(sink, "camille@lille.example")
    await _mail_to(sink, "lea@lumen.example")
