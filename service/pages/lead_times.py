"""The admin overview's lead-time and funnel charts: the use cases' figures, laid out."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.lead_times import Grouping, Period
from service.pages.charts import Chart, bar_chart
from service.pages.directory import Names
from service.schemas.lead_times import Funnel, FunnelStep, StageLeadTime
from service.use_cases import lead_times as use_case

DAY = 86400.0


@dataclass(frozen=True)
class StageChart:
    """One set of lead times (the region's, a theme's, a town's) as a chart and its rows."""

    key: str
    name: str
    stages: list[StageLeadTime]
    chart: Chart


@dataclass(frozen=True)
class LeadTimeCharts:
    group: Grouping
    overall: StageChart
    groups: list[StageChart]


@dataclass(frozen=True)
class MonthRow:
    month: str
    steps: list[FunnelStep]


@dataclass(frozen=True)
class FunnelCharts:
    steps: list[FunnelStep]
    chart: Chart
    months: list[MonthRow]
    months_chart: Chart


def _stage_chart(key: str, name: str, stages: list[StageLeadTime]) -> StageChart:
    """Median and p90 in days for each stage; the labels are stage codes the page names."""
    rows = [
        (
            stage.stage.value,
            [
                None if stage.median_seconds is None else stage.median_seconds / DAY,
                None if stage.p90_seconds is None else stage.p90_seconds / DAY,
            ],
        )
        for stage in stages
    ]
    return StageChart(key, name, stages, bar_chart(rows))


async def lead_time_charts(
    session: AsyncSession, grouping: Grouping, names: Names
) -> LeadTimeCharts:
    """The region's lead times, then each theme's or town's, by name."""
    times = await use_case.lead_times(session, grouping, Period())
    name_of = names.theme if grouping is Grouping.THEME else names.town
    groups = [_stage_chart(g.key, name_of(g.key), g.stages) for g in times.groups]
    return LeadTimeCharts(
        group=grouping,
        overall=_stage_chart("", "", times.overall),
        groups=sorted(groups, key=lambda chart: chart.name.casefold()),
    )


def _counts(steps: list[FunnelStep]) -> list[float | None]:
    return [float(step.pilots) for step in steps]


async def funnel_charts(session: AsyncSession) -> FunnelCharts:
    """The funnel's steps as one chart, and each month's steps nested on one line."""
    funnel: Funnel = await use_case.funnel(session, Period(), by_month=True)
    months = [MonthRow(month.month, month.steps) for month in funnel.by_month or []]
    return FunnelCharts(
        steps=funnel.steps,
        chart=bar_chart([(step.milestone.value, [float(step.pilots)]) for step in funnel.steps]),
        months=months,
        months_chart=bar_chart(
            [(month.month, _counts(month.steps)) for month in months], overlay=True
        ),
    )
