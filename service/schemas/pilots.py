"""Pilots: what officers submit, what every action takes, and what callers get back."""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

from core.models import NotificationStatus
from service.schemas.common import Body, Description, Id, Name, Patch, Tags, ThemeCode
from workflows.contracts import (
    CandidateStatus,
    Decision,
    Outcome,
    ReportingParty,
    ReviewDecision,
    SystemKind,
)

KpiName = Annotated[str, Field(min_length=1, max_length=100)]
Amount = Annotated[float, Field(ge=-1e12, le=1e12, allow_inf_nan=False)]
Text = Description
Days = Annotated[int, Field(ge=1, le=3650)]


class KpiIn(Body):
    name: KpiName
    unit: Annotated[str, Field(max_length=50)] = ""
    baseline: Amount
    target: Amount


class KpiPublic(BaseModel):
    name: str
    unit: str
    baseline: float
    target: float


Kpis = Annotated[list[KpiIn], Field(max_length=20)]


class PilotCreate(Body):
    title: Name
    summary: Annotated[Text, Field(min_length=1)]
    theme: ThemeCode
    needs: Tags = []
    budget_eur: Annotated[float, Field(ge=0, le=1e10, allow_inf_nan=False)]
    desired_start: date
    duration_days: Days
    kpis: Kpis = []


class PilotUpdate(Patch):
    """`amend`: any field of the create body; the others stay as they were."""

    title: Name | SkipJsonSchema[None] = None
    summary: Annotated[Text, Field(min_length=1)] | SkipJsonSchema[None] = None
    theme: ThemeCode | SkipJsonSchema[None] = None
    needs: Tags | SkipJsonSchema[None] = None
    budget_eur: Annotated[float, Field(ge=0, le=1e10)] | SkipJsonSchema[None] = None
    desired_start: date | SkipJsonSchema[None] = None
    duration_days: Days | SkipJsonSchema[None] = None
    kpis: Kpis | SkipJsonSchema[None] = None


class CandidatePublic(BaseModel):
    company_id: str
    company_name: str
    score: float
    reasons: list[str]
    status: CandidateStatus
    round: int
    message: str


class MeasurementPublic(BaseModel):
    kpi: str
    value: float


class EvaluationPublic(BaseModel):
    kpi_results: list[MeasurementPublic]
    satisfaction: int
    lessons: str
    recommendation: Decision


class KpiPointPublic(BaseModel):
    at: datetime
    value: float
    reporter: ReportingParty = Field(description="Who reported it: `town` or `partner`")


class KpiSeriesPublic(BaseModel):
    kpi: str
    points: list[KpiPointPublic] = Field(description="The progress reports' values, oldest first")


class PilotPublic(BaseModel):
    id: str
    town_id: str
    title: str
    summary: str
    theme: str
    needs: list[str]
    budget_eur: float
    desired_start: date
    duration_days: int
    kpis: list[KpiPublic]
    stage: str
    outcome: Outcome | None
    round: int
    candidates: list[CandidatePublic]
    partner_company_id: str | None
    partner_company_name: str | None = Field(
        default=None, description="The partner's name, for whoever may know who it is"
    )
    trial_start: datetime | None
    trial_end: datetime | None
    deadline: datetime | None = Field(description="The next deadline, or null")
    waiting_on: str | None = Field(description="Whom the next deadline waits on")
    evaluation: EvaluationPublic | None = Field(
        default=None, description="The town's evaluation, once submitted, for whoever may read it"
    )
    kpi_series: list[KpiSeriesPublic] = Field(
        default=[], description="Each KPI's measured values during the trial, for its readers"
    )
    missed_checkins: list[int] = Field(
        default=[], description="The latest check-ins (by number) nobody reported after"
    )
    missed_checkin_count: int = Field(default=0, description="How many check-ins were missed")
    allowed_actions: list[str] = Field(description="What the caller may do now")
    parent_id: str | None
    created_at: datetime
    updated_at: datetime


class PilotPage(BaseModel):
    items: list[PilotPublic]
    next_cursor: str | None


class ReviewBody(Body):
    decision: ReviewDecision
    comment: Text = ""


class RespondBody(Body):
    interested: bool
    message: Text = ""


class SelectPartnerBody(Body):
    company_id: Id


class MeasurementIn(Body):
    kpi: KpiName
    value: Amount


Measurements = Annotated[list[MeasurementIn], Field(max_length=50)]


class ProgressBody(Body):
    measurements: Measurements = []
    note: Text = ""


class ReasonBody(Body):
    reason: Text = ""


class EvaluationBody(Body):
    kpi_results: Measurements = []
    satisfaction: Annotated[int, Field(ge=1, le=5)]
    lessons: Text = ""
    recommendation: Decision


class DecideBody(Body):
    decision: Decision
    extension_days: Days | None = None
    comment: Text = ""


class PersonActor(BaseModel):
    user_id: str | None
    role: str | None


class SystemActor(BaseModel):
    system: SystemKind


class EventPublic(BaseModel):
    seq: int
    at: datetime
    kind: str
    stage: str
    actor: PersonActor | SystemActor = Field(description="A person, or the system")
    data: dict[str, Any]


class HistoryEvent(BaseModel):
    event_id: int
    time: datetime
    type: str
    details: dict[str, Any]


class WorkflowHistoryPublic(BaseModel):
    events: list[HistoryEvent]
    temporal_ui_url: str


class NotificationPublic(BaseModel):
    id: str
    to: str
    template: str
    subject: str
    status: NotificationStatus
    attempts: int
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime


class OverdueItem(BaseModel):
    pilot_id: str
    title: str
    town_id: str
    stage: str
    deadline: datetime
    waiting_on: str | None
    overdue_seconds: float


class WaitingItem(BaseModel):
    pilot_id: str
    title: str
    stage: str
    waiting_on: str | None
    deadline: datetime | None
    since: datetime


class Overview(BaseModel):
    by_stage: dict[str, int]
    by_theme: dict[str, int]
    by_town: dict[str, int]
    overdue: list[OverdueItem]
    overdue_next_cursor: str | None = Field(
        description="Pass as `overdue_cursor` for the next page of `overdue`, or null"
    )
    waiting: list[WaitingItem]
    waiting_next_cursor: str | None = Field(
        description="Pass as `waiting_cursor` for the next page of `waiting`, or null"
    )
