"""Onboarding in bulk in Chromium: the sample file's dry run, then a real import whose
new officer receives the invitation email with a working link.

The real import brings a town and a company of its own (a theme no other test's pilot
has), so the region the other browser tests share keeps matching as they expect.
"""

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import expect

from cli.smtp_sink import SmtpSink
from core.onboarding_sample import SAMPLE_CSV
from tests.browser.site import ADMIN, Site, screenshot

pytestmark = pytest.mark.devserver

SMALL = (
    "kind;name;code;email;town;company;themes;tags;areas;locale;description\n"
    "town;Wattrelos;59650;;;;;;;;\n"
    "officer;Nour Haddad;;officer@wattrelos.example;Wattrelos;;;;;fr;\n"
    "company;Beffroi Europe;;contact@beffroi.example;;;european-city;events;59650;fr;Jumelages\n"
)


async def test_an_admin_checks_the_sample_then_imports_a_file(
    site: Site, sink: SmtpSink, tmp_path: Path
) -> None:
    admin = await site.signed_in(ADMIN)
    await admin.get_by_role("link", name="Import", exact=True).click()
    await expect(admin.get_by_role("heading", name="Inscriptions en masse")).to_be_visible()
    await admin.get_by_label("Fichier CSV").set_input_files(SAMPLE_CSV)
    await admin.get_by_role("button", name="Vérifier le fichier").click()
    await expect(admin.get_by_text("Aucun problème")).to_be_visible()
    counts = admin.get_by_role("table").first
    # The 95 towns: Lille and Roubaix exist already (without their codes), and so may towns
    # other browser tests of this region added: each is created or found, none is lost.
    towns = counts.get_by_role("row").nth(1).get_by_role("cell")
    await expect(towns.first).to_have_text("Commune")
    created, unchanged = int(await towns.nth(1).inner_text()), int(await towns.nth(2).inner_text())
    assert created + unchanged == 95 and unchanged >= 2, (created, unchanged)
    await expect(admin.get_by_role("button", name="Importer pour de bon")).to_be_visible()
    await screenshot(admin, "admin-import")

    small = tmp_path / "wattrelos.csv"
    small.write_text(SMALL, encoding="utf-8")
    await admin.get_by_label("Fichier CSV").set_input_files(small)
    await admin.get_by_role("button", name="Vérifier le fichier").click()
    await expect(admin.get_by_role("cell", name="officer@wattrelos.example")).to_be_visible()
    await admin.get_by_role("button", name="Importer pour de bon").click()
    await expect(admin.get_by_role("status")).to_contain_text(
        "Import effectué : 3 créations, 1 invitations demandées."
    )

    link = await _invitation_link(sink, "officer@wattrelos.example")
    officer = await site.page()
    await officer.goto(link)
    await expect(officer.get_by_role("button")).not_to_have_count(0)
    assert "/password/" in officer.url


async def _invitation_link(sink: SmtpSink, address: str) -> str:
    for _ in range(300):
        for message in sink.messages:
            if str(message["To"]) == address:
                text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
                return str(next(word for word in text.split() if "/password/" in word))
        await asyncio.sleep(0.1)
    raise AssertionError(f"no invitation to {address}")
