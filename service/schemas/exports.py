"""Exports: their formats, one pilot's audit document, and a row of the KPI report."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, Field

from service.schemas.pilots import (
    EventPublic,
    NotificationPublic,
    PilotPublic,
    WorkflowHistoryPublic,
)
from workflows.contracts import Outcome


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


Format = Annotated[
    ExportFormat,
    Query(alias="format", description="`csv` (a header row, then one row each) or `json`"),
]


class AuditExport(BaseModel):
    """A pilot's whole record, each part as its own endpoint shows it to the caller."""

    pilot: PilotPublic
    events: list[EventPublic] = Field(description="As GET .../events answers the caller")
    workflow_history: WorkflowHistoryPublic | None = Field(
        description="As GET .../workflow-history answers (admin); null for the other parties"
    )
    notifications: list[NotificationPublic] | None = Field(
        description="As GET .../notifications answers (admin); null for the other parties"
    )
    exported_at: datetime


class KpiResultRow(BaseModel):
    """One KPI of one evaluated pilot, against its baseline and target."""

    pilot_id: str
    title: str
    town_id: str
    town: str = Field(description="The town's name")
    theme: str
    stage: str
    kpi: str
    unit: str
    baseline: float
    target: float
    result: float | None = Field(description="The evaluation's value, or null if it gave none")
    met: bool | None = Field(description="Whether the result reached the target, or null")
    satisfaction: int
    recommendation: str = Field(description="The town's recommendation: generalize, extend or stop")
    outcome: Outcome | None = Field(description="The programme team's decision once closed")


KPI_RESULT_COLUMNS = tuple(KpiResultRow.model_fields)
PILOT_COLUMNS = tuple(PilotPublic.model_fields)
