"""The trial's evidence read from a pilot's state: each KPI's last value and its series."""

from dataclasses import dataclass, field
from datetime import datetime

from workflows.contracts import KpiPoint, PilotState


@dataclass
class KpiEvidence:
    """A KPI of the proposal with the measurements reported for it, oldest first."""

    name: str
    unit: str
    baseline: float
    target: float
    points: list[KpiPoint] = field(default_factory=list)

    @property
    def value(self) -> float | None:
        return self.points[-1].value if self.points else None

    @property
    def at(self) -> datetime | None:
        return self.points[-1].at if self.points else None


def kpi_evidence(pilot: PilotState) -> list[KpiEvidence]:
    """Each KPI of the proposal, in its order, with the series the state holds for it.

    Read from the state as the reader may see it: a reader who may not read the series
    gets the KPIs with no points.
    """
    return [
        KpiEvidence(
            kpi.name,
            kpi.unit,
            kpi.baseline,
            kpi.target,
            list(series.points) if (series := pilot.series(kpi.name)) else [],
        )
        for kpi in pilot.proposal.kpis
    ]


def last_values(pilot: PilotState) -> dict[str, float]:
    """Each KPI's last reported value, by name: what the evaluation form starts from."""
    return {row.name: row.value for row in kpi_evidence(pilot) if row.value is not None}
