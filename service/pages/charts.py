"""The geometry of the pages' SVG bar charts: pure arithmetic, no markup, no language.

A chart is rows of horizontal bars drawn from a common zero, the longest value filling
the plot. Grouped rows stack one bar per series under each other (a stage's median and
p90); overlaid rows draw every series on one line, largest first, so a funnel's steps
nest inside each other (a month's submitted, approved, ... pilots).
"""

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640.0
LABEL_WIDTH = 230.0
VALUE_ROOM = 72.0
BAR_HEIGHT = 14.0
GAP = 12.0
# Below this many pixels a bar is drawn this wide, so a small non-zero value still shows.
MIN_BAR = 1.0


@dataclass(frozen=True)
class Bar:
    series: int
    value: float
    x: float
    y: float
    width: float
    height: float
    # Where the value's text goes: just past the bar's end, on its middle line.
    text_x: float
    text_y: float


@dataclass(frozen=True)
class Row:
    label: str
    label_y: float
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    label_width: float
    rows: list[Row]


def bar_chart(
    rows: Sequence[tuple[str, Sequence[float | None]]],
    *,
    overlay: bool = False,
    width: float = WIDTH,
    label_width: float = LABEL_WIDTH,
) -> Chart:
    """Bars for each row's values (None: no bar), scaled so the largest fills the plot."""
    plot = width - label_width - VALUE_ROOM
    top = max((value for _, values in rows for value in values if value), default=0.0) or 1.0
    series = max((len(values) for _, values in rows), default=0)
    row_height = (BAR_HEIGHT if overlay else BAR_HEIGHT * max(series, 1)) + GAP
    drawn: list[Row] = []
    for index, (label, values) in enumerate(rows):
        top_y = GAP / 2 + index * row_height
        bars = []
        for number, value in enumerate(values):
            if value is None:
                continue
            y = top_y if overlay else top_y + number * BAR_HEIGHT
            length = plot * value / top
            if value > 0:
                length = max(length, MIN_BAR)
            bars.append(
                Bar(
                    series=number,
                    value=value,
                    x=label_width,
                    y=y,
                    width=length,
                    height=BAR_HEIGHT,
                    text_x=label_width + length + 4,
                    text_y=y + BAR_HEIGHT / 2,
                )
            )
        if overlay:
            bars.sort(key=lambda bar: -bar.width)
        middle = top_y + (row_height - GAP) / 2
        drawn.append(Row(label=label, label_y=middle, bars=bars))
    return Chart(width=width, height=len(rows) * row_height, label_width=label_width, rows=drawn)


@dataclass(frozen=True)
class Duration:
    """A length in the largest unit it fills: `d`, `h`, `min` or `s`, to one decimal."""

    number: float
    unit: str


_UNITS = (("d", 86400.0), ("h", 3600.0), ("min", 60.0))


def duration(seconds: float) -> Duration:
    for unit, size in _UNITS:
        if seconds >= size:
            return Duration(round(seconds / size, 1), unit)
    return Duration(round(seconds, 1), "s")
