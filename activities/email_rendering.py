"""Renders a notification (subject, plain text, HTML) in the recipient's language."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any, NamedTuple

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.nodes import EvalContext
from jinja2.utils import pass_eval_context
from markupsafe import Markup

from core import i18n
from core.disclosure import disclose, email_extra, recipient_relation
from core.kpi_evidence import kpi_evidence
from core.pilot_state import kpi_results
from workflows.contracts import Audience, EmailTemplate, PilotState

# The template keys the workflow sends; each exists as .txt and .html, in every language.
NOTIFICATION_TEMPLATES = tuple(template.value for template in EmailTemplate)


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


def single_line(text: str) -> str:
    """Collapse all whitespace, CR and LF included, so the text is safe in a header."""
    return " ".join(text.split())


class EmailRenderer:
    """Jinja2 templates under `<templates_dir>/email/<name>.{txt,html}`, said in each locale.

    Built once per worker process: each template is compiled on first use and kept, never
    looked at on disk again (a deployment restarts the worker).
    """

    def __init__(self, templates_dir: Path, *, zone: tzinfo = i18n.REGION_ZONE) -> None:
        self.env = Environment(
            loader=FileSystemLoader(templates_dir / "email"),
            auto_reload=False,
            cache_size=-1,
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        i18n.install(self.env, zone)
        self.env.filters["strong"] = _strong
        self.env.globals["kpi_results"] = kpi_results
        self.env.globals["kpi_evidence"] = kpi_evidence

    def render(self, template: str, locale: str, context: Mapping[str, Any]) -> RenderedEmail:
        """The subject (one line), text and HTML of a template in a locale."""
        values = {**context, "locale": i18n.normalize_locale(locale)}
        text_template = self.env.get_template(f"{template}.txt")
        # The subject is the `subject` block of the text template, so both live together.
        subject_block = text_template.blocks["subject"]
        subject = single_line("".join(subject_block(text_template.new_context(values))))
        values["subject"] = subject
        text = text_template.render(values)
        html = self.env.get_template(f"{template}.html").render(values)
        return RenderedEmail(subject, text, html)


@pass_eval_context
def _strong(eval_context: EvalContext, value: object) -> str:
    """A value set in bold in HTML, where a sentence names it (`the pilot "<b>title</b>"`)."""
    if not eval_context.autoescape:
        return str(value)
    return Markup("<strong>{}</strong>").format(value)
