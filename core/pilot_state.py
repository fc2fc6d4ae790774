"""The workflow's PilotState as JSON, for the read model, and the rules computed from it."""

import dataclasses
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import TypeAdapter

from core.models import Pilot
from workflows.contracts import PilotState

# Read as the data converter reads a payload: the same dates, enums and defaults.
_PILOT_STATE = TypeAdapter(PilotState)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def state_to_json(state: PilotState) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(state), default=_encode))
    return document


def state_from_json(data: dict[str, Any]) -> PilotState:
    return _PILOT_STATE.validate_python(data)


def apply_state(pilot: Pilot, state: PilotState, seq: int) -> None:
    """Copy the workflow's state into its read-model row, as of audit entry `seq`."""
    proposal = state.proposal
    pilot.town_id = state.town_id
    pilot.title = proposal.title
    pilot.summary = proposal.summary
    pilot.theme = proposal.theme
    pilot.needs = list(proposal.needs)
    pilot.budget_eur = proposal.budget_eur
    pilot.desired_start = proposal.desired_start
    pilot.duration_days = proposal.duration_days
    document = state_to_json(state)
    pilot.kpis = document["proposal"]["kpis"]
    pilot.stage = state.stage
    pilot.outcome = state.outcome
    pilot.round = state.round
    pilot.partner_company_id = state.partner_company_id
    pilot.trial_start = state.trial_start
    pilot.trial_end = state.trial_end
    pilot.deadline = state.deadline
    pilot.waiting_on = state.waiting_on
    pilot.parent_id = state.parent_id
    pilot.updated_at = state.updated_at
    pilot.version = seq
    pilot.state = document


@dataclass
class KpiRow:
    """A KPI of the proposal beside the result the evaluation reports for it."""

    name: str
    unit: str
    baseline: float
    target: float
    result: float | None
    met: bool | None


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
