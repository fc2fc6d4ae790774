"""What the programme team reads about lead times and the funnel."""

from pydantic import BaseModel, Field

from core.lead_times import Grouping, Milestone
from workflows.stages import Stage


class StageLeadTime(BaseModel):
    stage: Stage
    stays: int = Field(description="Closed stays in this stage, the ones measured")
    open: int = Field(description="Pilots in this stage now (their stay is not measured yet)")
    median_seconds: float | None = Field(description="Median stay, or null with no stay")
    p90_seconds: float | None = Field(description="90th percentile (linear), or null")


class LeadTimeGroup(BaseModel):
    key: str = Field(description="The theme's code or the town's id")
    stages: list[StageLeadTime]


class LeadTimes(BaseModel):
    group: Grouping
    overall: list[StageLeadTime]
    groups: list[LeadTimeGroup]


class FunnelStep(BaseModel):
    milestone: Milestone
    pilots: int
    from_previous: float | None = Field(description="Share of the previous step (0..1)")
    from_submitted: float | None = Field(description="Share of the submitted pilots (0..1)")


class FunnelMonth(BaseModel):
    month: str = Field(description="Month of submission, YYYY-MM (UTC)")
    steps: list[FunnelStep]


class Funnel(BaseModel):
    steps: list[FunnelStep]
    by_month: list[FunnelMonth] | None = Field(description="With `by=month`, else null")
