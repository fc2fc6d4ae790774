"""The KPI chart's geometry: pure functions, checked without a page."""

from datetime import UTC, datetime, timedelta

import pytest

from service.pages.kpi_chart import (
    BOTTOM,
    HEIGHT,
    LEFT,
    RIGHT,
    TOP,
    WIDTH,
    Band,
    build_chart,
    nice_ticks,
    time_range,
    value_range,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def test_time_runs_over_the_trial_and_values_fit_baseline_and_target() -> None:
    points = [(START + 10 * DAY, 900.0), (START + 50 * DAY, 800.0)]
    chart = build_chart(points, baseline=1000.0, target=700.0, start=START, end=START + 100 * DAY)
    assert chart is not None
    plot_w = WIDTH - LEFT - RIGHT
    assert [d.x for d in chart.dots] == [LEFT + plot_w * 0.1, LEFT + plot_w * 0.5]
    assert chart.line == " ".join(f"{d.x:g},{d.y:g}" for d in chart.dots)
    # Higher values sit higher: the baseline above the target, the points between them.
    assert TOP < chart.baseline_y < chart.dots[0].y < chart.dots[1].y < chart.target_y
    assert chart.target_y < HEIGHT - BOTTOM
    # The range has 10% room each side of 700..1000.
    assert chart.baseline_y == pytest.approx(TOP + (HEIGHT - TOP - BOTTOM) * (30 / 360), abs=0.01)
    assert [t.at for t in chart.x_ticks] == [START, START + 50 * DAY, START + 100 * DAY]
    assert [t.position for t in chart.x_ticks] == [LEFT, LEFT + plot_w / 2, WIDTH - RIGHT]


def test_every_tick_lies_inside_the_plot() -> None:
    chart = build_chart([(START, 3.0)], baseline=0.0, target=10.0, start=START)
    assert chart is not None
    values = [t.value for t in chart.y_ticks]
    assert values == [0.0, 5.0, 10.0]  # -1 to 11, in steps of 5
    assert all(TOP <= t.position <= HEIGHT - BOTTOM for t in chart.y_ticks)


def test_reports_past_the_trial_s_end_widen_the_time_axis() -> None:
    late = START + 120 * DAY
    chart = build_chart([(late, 1.0)], baseline=0.0, target=2.0, start=START, end=START + 90 * DAY)
    assert chart is not None
    assert chart.dots[0].x == WIDTH - RIGHT


def test_missed_checkins_span_from_their_request_to_the_next_checkin() -> None:
    missed = [(START + 30 * DAY, START + 45 * DAY)]
    chart = build_chart(
        [], baseline=5.0, target=1.0, start=START, end=START + 60 * DAY, missed=missed
    )
    assert chart is not None
    assert chart.dots == () and chart.line == ""
    plot_w = WIDTH - LEFT - RIGHT
    assert chart.missed == (Band(LEFT + plot_w / 2, plot_w / 4),)
    assert not chart.short


def test_a_short_series_needs_the_time_of_day() -> None:
    chart = build_chart([(START, 1.0)], baseline=0.0, target=2.0, end=START + DAY)
    assert chart is not None and chart.short
    assert [t.at for t in chart.x_ticks] == [START, START + DAY]


def test_no_chart_without_a_trial_or_a_point() -> None:
    assert build_chart([], baseline=1.0, target=2.0) is None


def test_degenerate_ranges_are_never_empty() -> None:
    assert value_range([5.0, 5.0]) == (4.5, 5.5)
    assert value_range([0.0]) == (-0.1, 0.1)
    first, last = time_range([START], START, START)
    assert last - first == DAY
    chart = build_chart([(START, 5.0)], baseline=5.0, target=5.0)
    assert chart is not None
    assert chart.baseline_y == chart.target_y == chart.dots[0].y


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 10, [0, 2.5, 5, 7.5, 10]),
        (670, 1030, [700, 800, 900, 1000]),
        (-1.5, 1.5, [-1, 0, 1]),
        (0.001, 0.004, [0.001, 0.002, 0.003, 0.004]),
    ],
)
def test_nice_ticks(low: float, high: float, expected: list[float]) -> None:
    assert nice_ticks(low, high) == pytest.approx(expected)
