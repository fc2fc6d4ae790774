"""The proposal form (submit and amend): fields and KPI rows in, `PilotCreate` data out.

The KPI rows are a few fixed rows of inputs named `kpi-<row>-<field>`; a row left empty
is not a KPI. The schema's errors name KPIs by their place among the filled rows, so each
error is sent back to the row it came from.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from service.pages.forms import default_field_of, field_errors, optional, row_field_of, tags, text
from service.pages.i18n import Translate
from service.pages.rendering import render
from service.schemas.pilots import PilotPublic
from service.use_cases.themes import list_themes

EMPTY_KPI_ROWS = 3
KPI_FIELDS = ("name", "unit", "baseline", "target")
FIELDS = ("title", "summary", "theme", "budget_eur", "desired_start", "duration_days")
MAX_KPI_ROWS = 20


@dataclass
class ProposalForm:
    """What the officer typed, as the schema's input, and where each KPI came from."""

    data: dict[str, Any]
    kpi_rows: list[int] = field(default_factory=list)

    def errors(self, error: ValidationError, _: Translate) -> dict[str, str]:
        """Each error beside its field, KPI errors beside their row."""
        return field_errors(error, _, self._field_of)

    def _field_of(self, loc: Sequence[str | int]) -> str:
        if loc and loc[0] == "kpis":
            row = row_field_of(loc, self.kpi_rows, KPI_FIELDS)
            if row is not None:
                return row
        return default_field_of(loc)


def read_proposal(form: FormData) -> ProposalForm:
    """The proposal's fields; an empty one is left out so the schema says it is required."""
    data: dict[str, Any] = {}
    for name in FIELDS:
        value = optional(form, name)
        if value is not None:
            data[name] = value
    data["needs"] = tags(form, "needs")
    parsed = ProposalForm(data)
    kpis = []
    for row in range(MAX_KPI_ROWS):
        kpi = {part: text(form, f"kpi-{row}-{part}").strip() for part in KPI_FIELDS}
        if not any(kpi.values()):
            continue
        kpis.append({part: value for part, value in kpi.items() if value or part == "name"})
        parsed.kpi_rows.append(row)
    data["kpis"] = kpis
    return parsed


def kpi_row_count(values: dict[str, str]) -> int:
    """Rows to show: the filled ones and a few empty ones."""
    filled = [row for row in range(MAX_KPI_ROWS) if values.get(f"kpi-{row}-name")]
    return min(MAX_KPI_ROWS, max(EMPTY_KPI_ROWS, (max(filled) + 2) if filled else 0))


def plain_number(value: float) -> str:
    """`12000.0` as `12000`, for an input to show."""
    return str(int(value)) if float(value).is_integer() else str(value)


def values_of(pilot: PilotPublic) -> dict[str, str]:
    """A pilot's proposal as the form's fields, to amend it."""
    values = {
        "title": pilot.title,
        "summary": pilot.summary,
        "theme": pilot.theme,
        "needs": ", ".join(pilot.needs),
        "budget_eur": plain_number(pilot.budget_eur),
        "desired_start": pilot.desired_start.isoformat(),
        "duration_days": str(pilot.duration_days),
    }
    for row, kpi in enumerate(pilot.kpis):
        values[f"kpi-{row}-name"] = kpi.name
        values[f"kpi-{row}-unit"] = kpi.unit
        values[f"kpi-{row}-baseline"] = plain_number(kpi.baseline)
        values[f"kpi-{row}-target"] = plain_number(kpi.target)
    return values


async def proposal_page(
    request: Request,
    session: AsyncSession,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    amending: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The form to submit a pilot, or to amend the pilot `amending`, with values and errors."""
    # The key the form sends back: a proposal submitted twice acts once.
    values.setdefault("submission_key", uuid.uuid4().hex)
    context = {
        "values": values,
        "errors": errors,
        "themes": [(theme.code, theme.name) for theme in await list_themes(session)],
        "kpi_rows": kpi_row_count(values),
        "action": f"/pilots/{amending}/amend" if amending else "/officer/pilots/new",
        "amending": {"id": amending, "title": values.get("title", "")} if amending else None,
    }
    return render(request, "proposal_form.html", context, status_code=status_code)
