"""A KPI's series as chart geometry: pure functions, so the template only draws it.

Time runs left to right over the trial (or the reports, if they go beyond it); values run
bottom to top over a range that holds every value, the baseline and the target. The SVG's
coordinates are its viewBox's: the page scales it to its width.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

WIDTH = 480.0
HEIGHT = 240.0
# Room for the value labels at the left and the dates below.
LEFT, RIGHT, TOP, BOTTOM = 56.0, 12.0, 12.0, 28.0
Y_TICKS = 5
SHORT_SPAN = timedelta(days=3)


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    at: datetime
    value: float


@dataclass(frozen=True)
class Tick:
    """A labelled position on an axis: `at` for time, `value` for values."""

    position: float
    value: float | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class Band:
    """A stretch of the time axis: where it starts and how wide it is."""

    x: float
    width: float


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float
    dots: tuple[Dot, ...]
    line: str  # the polyline's `points` attribute
    baseline_y: float
    target_y: float
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    # Each check-in nobody answered: from its request to when the next one marked it missed.
    missed: tuple[Band, ...]
    # The series spans under SHORT_SPAN: the axis needs the time of day, not only dates.
    short: bool


def value_range(values: Sequence[float]) -> tuple[float, float]:
    """A range holding every value with some room, never empty."""
    low, high = min(values), max(values)
    span = high - low
    if span == 0:
        span = abs(high) or 1.0
    return low - span * 0.1, high + span * 0.1


def nice_ticks(low: float, high: float, count: int = Y_TICKS) -> list[float]:
    """Round values between low and high, at most about `count` of them."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10) + 0.0)  # + 0.0: no "-0" label
        value += step
    return ticks


def time_range(
    times: Sequence[datetime], start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    """From the trial's start (or first report) to its end (or last report), never empty."""
    first = min([*times, *([start] if start else [])])
    last = max([*times, *([end] if end else [])])
    if last <= first:
        last = first + timedelta(days=1)
    return first, last


def build_chart(
    points: Sequence[tuple[datetime, float]],
    *,
    baseline: float,
    target: float,
    start: datetime | None = None,
    end: datetime | None = None,
    missed: Sequence[tuple[datetime, datetime]] = (),
) -> Chart | None:
    """The chart of a series against its baseline and target; None with no point and no start.

    `missed`: each check-in nobody answered, as (requested at, marked missed at).
    """
    times = [at for at, _ in points] + [at for pair in missed for at in pair]
    if not times and start is None:
        return None
    first, last = time_range(times, start, end)
    low, high = value_range([value for _, value in points] + [baseline, target])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    seconds = (last - first).total_seconds()

    def x(at: datetime) -> float:
        return round(LEFT + plot_w * (at - first).total_seconds() / seconds, 2)

    def y(value: float) -> float:
        return round(TOP + plot_h * (high - value) / (high - low), 2)

    dots = tuple(Dot(x(at), y(value), at, value) for at, value in points)
    short = last - first < SHORT_SPAN
    # A short span's labels carry the time of day: only its two ends have room for them.
    ticks = (first, last) if short else (first, first + (last - first) / 2, last)
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=HEIGHT - BOTTOM,
        dots=dots,
        line=" ".join(f"{d.x:g},{d.y:g}" for d in dots),
        baseline_y=y(baseline),
        target_y=y(target),
        y_ticks=tuple(Tick(y(v), value=v) for v in nice_ticks(low, high)),
        x_ticks=tuple(Tick(x(at), at=at) for at in ticks),
        missed=tuple(Band(x(since), round(x(until) - x(since), 2)) for since, until in missed),
        short=short,
    )
