"""Renders a notification (subject, plain text, HTML) in the recipient's language."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from core.disclosure import disclose, email_extra, recipient_relation
from workflows.contracts import Audience, EmailTemplate, PilotState

# The template keys the workflow sends; each exists in every locale as .txt and .html.
NOTIFICATION_TEMPLATES = tuple(template.value for template in EmailTemplate)
LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"

_MONTHS = {
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "en": "January February March April May June July August September October November December",
}


def normalize_locale(locale: str | None) -> str:
    """One of LOCALES: `en-GB` gives `en`, anything unknown gives French."""
    language = (locale or "").split("-")[0].split("_")[0].lower()
    return language if language in LOCALES else DEFAULT_LOCALE


@dataclass
class Recipient:
    """One address to write to; company_id is set when it writes on behalf of a company."""

    address: str
    name: str
    locale: str
    company_id: str | None = None
    # The audience that reached it: with company_id, what the disclosure policy lets this
    # recipient read (None reads what no relation to the pilot may).
    audience: Audience | None = None


@dataclass
class Links:
    pilot: str
    unsubscribe: str | None = None


@dataclass
class KpiRow:
    """A KPI of the proposal beside the result the evaluation reports for it."""

    name: str
    unit: str
    baseline: float
    target: float
    result: float | None
    met: bool | None


class RenderedEmail(NamedTuple):
    subject: str
    text: str
    html: str


def email_context(
    *,
    pilot: PilotState,
    recipient: Recipient,
    links: Links,
    template: str,
    extra: Mapping[str, Any] | None = None,
    town: str = "",
    theme: str = "",
) -> dict[str, Any]:
    """Everything a template may use, cut to what this recipient may read (core.disclosure).

    The names are the templates' contract.
    """
    relation = recipient_relation(pilot, recipient.audience, recipient.company_id)
    view = disclose(pilot, relation, company_id=recipient.company_id)
    return {
        "pilot": view.state,
        "recipient": recipient,
        "links": links,
        "extra": email_extra(template, extra or {}, relation, company_id=recipient.company_id),
        "town": town or pilot.town_id,
        "theme": theme or pilot.proposal.theme,
        "partner": view.partner_name or "",
    }


def kpi_results(pilot: PilotState) -> list[KpiRow]:
    """The proposal's KPIs with the evaluation's results, for the evaluation report."""
    results = {m.kpi: m.value for m in pilot.evaluation.kpi_results} if pilot.evaluation else {}
    rows = []
    for kpi in pilot.proposal.kpis:
        result = results.get(kpi.name)
        met = None
        if result is not None:
            # A KPI may aim down (waste, energy) as well as up.
            met = result >= kpi.target if kpi.target >= kpi.baseline else result <= kpi.target
        rows.append(KpiRow(kpi.name, kpi.unit, kpi.baseline, kpi.target, result, met))
    return rows


def single_line(text: str) -> str:
    """Collapse all whitespace, CR and LF included, so the text is safe in a header."""
    return " ".join(text.split())


class EmailRenderer:
    """Jinja2 templates under `<templates_dir>/email/<locale>/<name>.{txt,html}`."""

    def __init__(self, templates_dir: Path, *, timezone: str = "Europe/Paris") -> None:
        try:
            self._zone: tzinfo = ZoneInfo(timezone)
        except ZoneInfoNotFoundError:
            self._zone = UTC
        self.env = Environment(
            loader=FileSystemLoader(templates_dir / "email"),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters.update(date=self._format_date, datetime=self._format_datetime)
        self.env.filters["number"] = _format_number
        self.env.globals["kpi_results"] = kpi_results

    def render(self, template: str, locale: str, context: Mapping[str, Any]) -> RenderedEmail:
        """The subject (one line), text and HTML of a template in a locale."""
        locale = normalize_locale(locale)
        values = {**context, "locale": locale}
        text_template = self.env.get_template(f"{locale}/{template}.txt")
        # The subject is the `subject` block of the text template, so both live together.
        subject_block = text_template.blocks["subject"]
        subject = single_line("".join(subject_block(text_template.new_context(values))))
        values["subject"] = subject
        text = text_template.render(values)
        html = self.env.get_template(f"{locale}/{template}.html").render(values)
        return RenderedEmail(subject, text, html)

    def _local(self, value: date | str) -> date:
        """A date as it is, a datetime in the region's time zone."""
        if isinstance(value, str):
            # Temporal's JSON converter hands `date` fields over as ISO strings.
            value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        if isinstance(value, datetime):
            aware = value if value.tzinfo else value.replace(tzinfo=UTC)
            return aware.astimezone(self._zone)
        return value

    @pass_context
    def _format_date(self, context: Context, value: date | str | None) -> str:
        """`1er avril 2025`, `1 April 2025`."""
        if value is None:
            return ""
        day = self._local(value)
        locale = context.get("locale", DEFAULT_LOCALE)
        month = _MONTHS[locale].split()[day.month - 1]
        number = "1er" if locale == "fr" and day.day == 1 else str(day.day)
        return f"{number} {month} {day.year}"

    @pass_context
    def _format_datetime(self, context: Context, value: datetime | str | None) -> str:
        """`1er avril 2025 à 9h30`, `1 April 2025 at 09:30`."""
        if value is None:
            return ""
        moment = self._local(value)
        day = self._format_date(context, moment)
        if not isinstance(moment, datetime):
            return day
        if context.get("locale", DEFAULT_LOCALE) == "fr":
            return f"{day} à {moment.hour}h{moment.minute:02d}"
        return f"{day} at {moment:%H:%M}"


@pass_context
def _format_number(context: Context, value: float | int | None) -> str:
    """`1 234,5` in French, `1,234.5` in English; no useless decimals."""
    if value is None:
        return ""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")
    if context.get("locale", DEFAULT_LOCALE) == "fr":
        # A narrow no-break space groups thousands in French.
        text = text.replace(",", "\u202f").replace(".", ",")
    return text
