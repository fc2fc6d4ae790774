"""The unsubscribe link of a real invitation email works without signing in."""

import asyncio
from email.message import EmailMessage

import pytest
from playwright.async_api import expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cli.smtp_sink import SmtpSink
from core.models import Company
from tests.browser.site import Api, Site

pytestmark = pytest.mark.devserver

TITLE = "Toitures solaires des écoles"


async def test_the_link_in_an_invitation_unsubscribes_the_company(
    site: Site, api: Api, sink: SmtpSink, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await api.approved_pilot(TITLE)
    invitation = await _invitation(sink)
    link = str(invitation["List-Unsubscribe"]).strip("<>")
    assert link.startswith(f"{site.url}/unsubscribe/")
    company_id = link.rsplit("/", 1)[1].split(".")[0]

    page = await site.page()
    await page.goto(link)
    await expect(page.locator("main")).to_contain_text("Se désabonner")
    await page.get_by_role("button", name="Se désabonner").click()
    await expect(page.locator(".flash-success")).to_contain_text("ne recevra plus d'invitations")
    async with sessions() as session:
        company = await session.get(Company, company_id)
        assert company is not None and company.unsubscribed
        company.unsubscribed = False  # as it was, for the other tests
        await session.commit()


async def _invitation(sink: SmtpSink) -> EmailMessage:
    """A company's invitation to the pilot, once the worker has sent it."""
    for _ in range(100):
        for message in sink.messages:
            if TITLE in str(message["Subject"]) and message["List-Unsubscribe"]:
                return message
        await asyncio.sleep(0.2)
    raise AssertionError("no invitation arrived")


async def test_a_forged_link_is_refused(site: Site) -> None:
    page = await site.page()
    response = await page.goto(f"{site.url}/unsubscribe/verdi.not-our-signature")
    assert response is not None and response.status == 404
    await expect(page.locator("main")).to_contain_text("n'est pas valide")
    await expect(page.get_by_role("button", name="Se désabonner")).to_have_count(0)
