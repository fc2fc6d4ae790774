"""Invitations and password resets through the API, the worker and a real SMTP server."""

import asyncio
import re
import time
from email.message import EmailMessage

from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from cli.smtp_sink import SmtpSink
from core.account_links import LinkPurpose, link_ttl_seconds, password_fingerprint
from core.models import User
from core.settings import Settings
from tests.e2e.conftest import ADMIN
from workflows.account_email import account_email_workflow_id
from workflows.contracts import AccountEmailRequest, AccountEmailResult

WAIT_SECONDS = 30


async def _token(api: AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await api.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _mail_to(sink: SmtpSink, address: str, count: int = 1) -> list[EmailMessage]:
    """Wait until `count` messages reached `address` (a bound, not a timing assertion)."""
    for _ in range(WAIT_SECONDS * 10):
        found = [m for m in sink.messages if str(m["To"]) == address]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"no email to {address} after {WAIT_SECONDS}s")


def _link_token(message: EmailMessage) -> str:
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = next(word for word in text.split() if "/password/" in word)
    return link.rsplit("/", 1)[1]


async def test_an_invited_user_chooses_a_password_from_the_email(
    api: AsyncClient, sink: SmtpSink
) -> None:
    admin = await _token(api, *ADMIN)
    body = {"email": "new.admin@region.example", "role": "admin", "locale": "en"}
    response = await api.post("/api/v1/users", json=body, headers=admin)
    assert response.status_code == 201, response.text
    [invitation] = await _mail_to(sink, "new.admin@region.example")
    assert "choose a password" in str(invitation["Subject"])
    resend = f"/api/v1/users/{response.json()['id']}/invitation"
    assert (await api.post(resend, headers=admin)).status_code == 202
    token = _link_token(invitation)
    assert (await api.get(f"/password/{token}")).status_code == 200
    chosen = {"token": token, "password": "chosen-by-me-1"}
    assert (await api.post("/api/v1/auth/password", json=chosen)).status_code == 204
    await _token(api, "new.admin@region.example", "chosen-by-me-1")
    assert (await api.post("/api/v1/auth/password", json=chosen)).status_code == 422
    assert (await api.post(resend, headers=admin)).status_code == 409
    # The resend within the link's life was the same email, not a second one.
    assert len([m for m in sink.messages if str(m["To"]) == "new.admin@region.example"]) == 1
    assert (await api.get(f"/password/{token}")).status_code == 404


async def test_a_reset_answers_the_same_for_anyone_and_sends_one_email(
    api: AsyncClient,
    sink: SmtpSink,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    dev_env: WorkflowEnvironment,
) -> None:
    answers = []
    for email in ("nobody@region.example", ADMIN[0], ADMIN[0].upper()):
        response = await api.post("/api/v1/auth/password-reset", json={"email": email})
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 202
    # Asked twice while the link lives: one workflow (its id says so), one email.
    async with sessions() as session:
        admin = (await session.execute(select(User).where(User.email == ADMIN[0]))).scalar_one()
    request = AccountEmailRequest(
        LinkPurpose.PASSWORD_RESET.value,
        admin.id,
        password_fingerprint(admin.password_hash, settings),
    )
    bucket = int(time.time()) // link_ttl_seconds(LinkPurpose.PASSWORD_RESET, settings)
    handle = dev_env.client.get_workflow_handle(
        account_email_workflow_id(request, bucket), result_type=AccountEmailResult
    )
    assert (await handle.result()).sent
    [reset] = await _mail_to(sink, ADMIN[0])
    token = _link_token(reset)
    new = {"token": token, "password": "a-new-admin-password"}
    assert (await api.post("/api/v1/auth/password", json=new)).status_code == 204
    await _token(api, ADMIN[0], "a-new-admin-password")
    response = await api.post("/api/v1/auth/password-reset", json={"email": ADMIN[0]})
    assert response.status_code == 202
    # The password changed, so this is a new link and a new email.
    messages = await _mail_to(sink, ADMIN[0], count=2)
    assert len(messages) == 2
    assert not [m for m in sink.messages if str(m["To"]) == "nobody@region.example"]


async def test_the_pages_reset_a_forgotten_password(api: AsyncClient, sink: SmtpSink) -> None:
    pages = []
    for email in ("nobody@region.example", ADMIN[0]):
        form = {"csrf_token": await _csrf(api, "/password/forgot"), "email": email}
        response = await api.post("/password/forgot", data=form)
        assert response.status_code == 200
        pages.append(response.text.replace(email, "<email>"))
    assert pages[0] == pages[1]
    [reset] = await _mail_to(sink, ADMIN[0])
    path = f"/password/{_link_token(reset)}"
    csrf = await _csrf(api, path)
    differ = {"csrf_token": csrf, "password": "new-page-password", "confirm": "something-else"}
    assert (await api.post(path, data=differ)).status_code == 422
    same = differ | {"confirm": "new-page-password"}
    response = await api.post(path, data=same)
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    await _token(api, ADMIN[0], "new-page-password")
    assert (await api.get(path)).status_code == 404


async def _csrf(api: AsyncClient, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', (await api.get(path)).text)
    assert match is not None
    return match.group(1)
