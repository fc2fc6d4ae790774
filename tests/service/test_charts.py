"""The SVG charts' geometry: pure arithmetic, checked to the pixel."""

import pytest

from service.pages.charts import BAR_HEIGHT, GAP, MIN_BAR, bar_chart, duration


def test_grouped_rows_stack_one_bar_per_series_scaled_to_the_largest() -> None:
    chart = bar_chart([("a", [2.0, 4.0]), ("b", [None, 1.0])], width=300, label_width=100)
    plot = 300 - 100 - 72
    assert chart.height == 2 * (2 * BAR_HEIGHT + GAP)
    first, second = chart.rows
    assert [bar.width for bar in first.bars] == [plot / 2, plot]
    assert [bar.y for bar in first.bars] == [GAP / 2, GAP / 2 + BAR_HEIGHT]
    assert first.label_y == GAP / 2 + BAR_HEIGHT
    # A missing value draws nothing, and the next series keeps its place.
    assert [(bar.series, bar.width) for bar in second.bars] == [(1, plot / 4)]
    assert second.bars[0].y == GAP / 2 + (2 * BAR_HEIGHT + GAP) + BAR_HEIGHT
    assert all(bar.x == 100 for row in chart.rows for bar in row.bars)
    assert first.bars[1].text_x == 100 + plot + 4


def test_overlaid_rows_draw_the_largest_first_on_one_line() -> None:
    chart = bar_chart([("2026-01", [3.0, 2.0, 0.0, 3.0])], overlay=True, width=272, label_width=100)
    (row,) = chart.rows
    assert chart.height == BAR_HEIGHT + GAP
    assert [bar.series for bar in row.bars] == [0, 3, 1, 2]
    assert [bar.width for bar in row.bars] == [100, 100, pytest.approx(200 / 3), 0]
    assert {bar.y for bar in row.bars} == {GAP / 2}


def test_tiny_values_still_show_and_empty_charts_are_empty() -> None:
    chart = bar_chart([("a", [1000.0]), ("b", [0.001])])
    assert chart.rows[1].bars[0].width == MIN_BAR
    assert bar_chart([]).rows == [] and bar_chart([]).height == 0
    assert bar_chart([("a", [0.0])]).rows[0].bars[0].width == 0


@pytest.mark.parametrize(
    ("seconds", "number", "unit"),
    [(5.4 * 86400, 5.4, "d"), (86400, 1.0, "d"), (5400, 1.5, "h"), (90, 1.5, "min"), (12, 12, "s")],
)
def test_durations_in_their_largest_unit(seconds: float, number: float, unit: str) -> None:
    assert duration(seconds) == (duration(seconds).__class__(number, unit))
