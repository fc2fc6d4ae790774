"""Every notification renders in French and English, escaped and human-readable."""

import re
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from activities.account_email import ACCOUNT_TEMPLATES
from activities.email_rendering import (
    NOTIFICATION_TEMPLATES,
    EmailRenderer,
    Links,
    Recipient,
    email_context,
)
from core.i18n import normalize_locale
from core.settings import PROJECT_ROOT
from core.temporal_client import DATA_CONVERTER
from tests.support.sample_pilot import PARTNER_ID, SAMPLE_EXTRAS, sample_pilot_state
from workflows.contracts import EmailTemplate, PilotState

# The keys the workflow really sends, read from its `_notify(EmailTemplate.…)` calls.
SPEC_TEMPLATES = {
    EmailTemplate[name].value
    for name in re.findall(
        r"_notify\(\s*EmailTemplate\.(\w+)", (PROJECT_ROOT / "workflows" / "pilot.py").read_text()
    )
}

# Extras whose other values take other branches of the templates.
VARIANTS = [
    ("pilot_submitted", {"resubmitted": False}),
    ("review_outcome", {"decision": "approve", "comment": ""}),
    ("review_outcome", {"decision": "reject", "comment": "Hors périmètre."}),
    ("answer_received", {"company_name": "Lumina", "interested": False, "message": ""}),
    ("trial_ended", {"reason": ""}),
    ("decision", {"decision": "generalize", "comment": "", "extension_days": None}),
    ("decision", {"decision": "stop", "comment": "Coût trop élevé.", "extension_days": None}),
    ("pilot_ended", {"stage": "withdrawn", "reason": "Budget gelé"}),
    ("pilot_ended", {"stage": "cancelled", "reason": "Doublon"}),
]


@pytest.fixture(scope="module")
def renderer() -> EmailRenderer:
    return EmailRenderer(PROJECT_ROOT / "templates")


def render(
    renderer: EmailRenderer,
    template: str,
    locale: str,
    *,
    extra: dict[str, object] | None = None,
    pilot: PilotState | None = None,
    company_id: str | None = None,
) -> tuple[str, str, str]:
    context = email_context(
        pilot=pilot or sample_pilot_state(),
        recipient=Recipient(
            "alice@roubaix.example",
            "Alice Martin",
            locale,
            company_id,
            audience="companies" if company_id else "town",
        ),
        links=Links(
            "https://pilotflow.example/pilots/p1",
            "https://pilotflow.example/unsubscribe/tok" if company_id else None,
        ),
        template=template,
        extra=SAMPLE_EXTRAS[template] if extra is None else extra,
        town="Roubaix",
        theme="Ville efficace",
    )
    return renderer.render(template, locale, context)


def test_the_templates_on_disk_are_the_ones_the_workflow_sends() -> None:
    assert set(NOTIFICATION_TEMPLATES) == SPEC_TEMPLATES
    # One template per email and format: the catalogs say it in each language.
    folder = PROJECT_ROOT / "templates" / "email"
    for suffix in (".txt", ".html"):
        on_disk = {p.stem for p in folder.glob(f"*{suffix}") if not p.name.startswith("_")}
        assert on_disk == SPEC_TEMPLATES | set(ACCOUNT_TEMPLATES), suffix


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("template", sorted(SPEC_TEMPLATES))
def test_every_template_renders_subject_text_and_html(
    renderer: EmailRenderer, template: str, locale: str
) -> None:
    for company_id in (None, "c1"):
        subject, text, html = render(renderer, template, locale, company_id=company_id)
        assert subject and "\n" not in subject
        assert "Éclairage public intelligent" in subject + text
        assert "https://pilotflow.example/pilots/p1" in text
        assert 'href="https://pilotflow.example/pilots/p1"' in html
        assert html.lstrip().startswith("<!DOCTYPE html>")
        assert f'<html lang="{locale}">' in html
        assert ("https://pilotflow.example/unsubscribe/tok" in text) == bool(company_id)
        assert ("https://pilotflow.example/unsubscribe/tok" in html) == bool(company_id)
        greeting = "Bonjour Alice Martin," if locale == "fr" else "Hello Alice Martin,"
        assert text.startswith(greeting)


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("template", sorted(SPEC_TEMPLATES))
def test_templates_render_the_state_as_it_arrives_through_temporal(
    renderer: EmailRenderer, template: str, locale: str
) -> None:
    """What the data converter writes and reads back renders as the state itself."""
    converter = DATA_CONVERTER.payload_converter
    [pilot] = converter.from_payloads(converter.to_payloads([sample_pilot_state()]), [PilotState])
    direct = render(renderer, template, locale)
    assert render(renderer, template, locale, pilot=pilot) == direct


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize(("template", "extra"), VARIANTS)
def test_each_outcome_renders(
    renderer: EmailRenderer, template: str, extra: dict[str, object], locale: str
) -> None:
    subject, text, html = render(renderer, template, locale, extra=extra)
    assert subject and text and html


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("template", sorted(SPEC_TEMPLATES))
def test_templates_survive_a_bare_pilot_and_no_extra(
    renderer: EmailRenderer, template: str, locale: str
) -> None:
    """An early pilot has no partner, dates, KPIs or evaluation; extra keys may be absent."""
    pilot = sample_pilot_state()
    pilot.candidates, pilot.partner_company_id, pilot.evaluation = [], None, None
    pilot.trial_start = pilot.trial_end = pilot.deadline = None
    pilot.proposal.kpis, pilot.proposal.needs = [], []
    subject, text, html = render(renderer, template, locale, extra={}, pilot=pilot)
    assert subject and text and html


def test_the_language_follows_the_recipient(renderer: EmailRenderer) -> None:
    fr_subject, fr_text, _ = render(renderer, "invitation", "fr")
    en_subject, en_text, _ = render(renderer, "invitation", "en")
    assert fr_subject.startswith("Invitation à un pilote")
    assert en_subject.startswith("Invitation to a pilot")
    assert "Répondre à l'invitation" in fr_text
    assert "Answer the invitation" in en_text


@pytest.mark.parametrize(
    ("given", "expected"), [("fr", "fr"), ("en", "en"), ("en-GB", "en"), ("de", "fr"), ("", "fr")]
)
def test_unknown_locales_fall_back_to_french(given: str, expected: str) -> None:
    assert normalize_locale(given) == expected


def test_dates_and_numbers_are_written_for_people(renderer: EmailRenderer) -> None:
    # The deadline is 15:45 UTC in July: 17:45 in Lille.
    _, fr_text, _ = render(renderer, "invitation", "fr")
    _, en_text, _ = render(renderer, "invitation", "en")
    assert "avant le 14 juillet 2025 à 17h45" in fr_text
    assert "by 14 July 2025 at 17:45" in en_text
    assert "Démarrage souhaité : 1er avril 2025" in fr_text
    assert "Desired start: 1 April 2025" in en_text
    # Babel's CLDR data: a narrow no-break space groups thousands, a no-break space before €.
    assert "48\u202f500\u00a0€" in fr_text
    assert "€48,500" in en_text


def test_the_evaluation_report_compares_results_with_targets(renderer: EmailRenderer) -> None:
    _, text, html = render(renderer, "generalization_offer", "en")
    assert "Énergie consommée: 7,421.5 kWh/mois (baseline 12,000, target 8,000), target met" in text
    assert "Satisfaction des riverains: not measured" in text
    assert "Prévoir une réunion publique avant la pose." in html
    assert "Satisfaction:</strong> 4" in html


def test_html_escapes_untrusted_text_and_the_subject_stays_one_line(
    renderer: EmailRenderer,
) -> None:
    pilot = sample_pilot_state(title="<script>alert(1)</script>\r\nBcc: evil@x")
    extra = {"decision": "reject", "comment": "<img src=x onerror=alert(2)>"}
    subject, text, html = render(renderer, "review_outcome", "fr", extra=extra, pilot=pilot)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "\r" not in subject and "\n" not in subject
    assert subject == "Pilote non retenu : <script>alert(1)</script> Bcc: evil@x"
    # Plain text is not HTML: it shows the text as typed.
    assert "<script>alert(1)</script>" in text


def test_a_template_using_an_unknown_name_fails_loudly(tmp_path: Path) -> None:
    folder = tmp_path / "email"
    folder.mkdir(parents=True)
    (folder / "broken.txt").write_text("{% block subject %}{{ pilot.titel }}{% endblock %}")
    (folder / "broken.html").write_text("<p></p>")
    with pytest.raises(UndefinedError):
        EmailRenderer(tmp_path).render("broken", "fr", {"pilot": sample_pilot_state()})


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_the_generalization_offer_links_to_the_profile(
    renderer: EmailRenderer, locale: str
) -> None:
    _, text, html = render(renderer, "generalization_offer", locale)
    # The profile page sits beside the pilot's page, on the same public address.
    assert "https://pilotflow.example/profile" in text
    assert 'href="https://pilotflow.example/profile"' in html
    promise = {"fr": "désactiver ces propositions", "en": "turn these offers off"}[locale]
    assert promise in text and promise in html


@pytest.mark.parametrize("template", ["checkin_request", "checkin_reminder"])
def test_the_checkin_emails_show_each_kpi_s_last_value(
    renderer: EmailRenderer, template: str
) -> None:
    _, text, html = render(renderer, template, "en")
    assert (
        "Énergie consommée: 8,250.5 kWh/mois on 3 June 2025 (baseline 12,000, target 8,000)" in text
    )
    assert "Satisfaction des riverains: not reported yet (baseline 60, target 75)" in text
    assert "8,250.5 kWh/mois on 3 June 2025" in html
    _, fr_text, _ = render(renderer, template, "fr")
    assert "8\u202f250,5 kWh/mois le 3 juin 2025" in fr_text
    # The partner reads the trial's values; a company invited but not chosen does not.
    _, partner_text, _ = render(renderer, template, "en", company_id=PARTNER_ID)
    assert "8,250.5" in partner_text
    _, other_text, _ = render(renderer, template, "en", company_id="c-other")
    assert "8,250.5" not in other_text
