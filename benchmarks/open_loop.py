"""Open-loop load: requests leave at fixed due times, whatever the server's pace.

A closed-loop client waits for each answer before it asks again, so a slow server slows
the client down and hides its own queue. Here request i is due at `start + i / rate`, and its
latency counts from that due time: if the client itself is late (its loop busy), the wait
is the server's fault as much as any, and it is counted. Errors and timeouts are kept as
such, never dropped from the sample.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from benchmarks.common import p50, percentile
from core.garbage_collection import startup_objects_frozen

Send = Callable[[int], Awaitable[object]]
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


SHED = "shed"


class Shed(Exception):
    """The server refused the request at once for want of capacity (503 with Retry-After)."""


@dataclass(frozen=True)
class Outcome:
    """One request: when it was due, when it ended (clock seconds), and how."""

    due: float
    ended: float
    error: str | None = None  # "timeout", SHED, or the exception's class name

    @property
    def latency(self) -> float:
        return self.ended - self.due


@dataclass(frozen=True)
class Summary:
    """What a run of requests amounts to, latencies in milliseconds."""

    requests: int
    errors: int
    timeouts: int
    shed: int  # refused at once for load (errors too): the server said so, in time
    answered_per_s: float  # successful answers over the whole span, first due to last end
    p50_ms: float
    p99_ms: float
    max_ms: float

    def as_dict(self, prefix: str) -> dict[str, float | int]:
        return {f"{prefix}_{name}": value for name, value in self.__dict__.items()}


async def open_loop(
    send: Send,
    *,
    rate: float,
    count: int,
    timeout_seconds: float,
    connections: int = 256,
    clock: Clock = time.perf_counter,
    sleep: Sleep = asyncio.sleep,
) -> list[Outcome]:
    """Call `send(i)` for i in range(count) at `rate` per second, each due on its own tick.

    At most `connections` calls are in flight, as a client with that many connections: the
    others wait for one, and that wait is part of their latency. (Left to the client's pool, a
    queue of thousands of requests cost the client more CPU than the server.) A call that
    raises, or outlasts `timeout_seconds` from when it is sent, is an error; its latency is
    the time until it failed (for a timeout, a lower bound).

    The generator's own heap is frozen first: a full pass of its garbage collector (390 ms
    once the read model was seeded from this process) would delay every call due meanwhile,
    and that delay would count as the server's.
    """
    with startup_objects_frozen():
        start = clock()
        gate = asyncio.Semaphore(connections)
        running = []
        for index in range(count):
            due = start + index / rate
            delay = due - clock()
            if delay > 0:
                await sleep(delay)
            call = _one(send, index, due, gate, timeout_seconds, clock)
            running.append(asyncio.create_task(call))
        return list(await asyncio.gather(*running))


async def _one(
    send: Send,
    index: int,
    due: float,
    gate: asyncio.Semaphore,
    timeout_seconds: float,
    clock: Clock,
) -> Outcome:
    try:
        async with asyncio.timeout(timeout_seconds), gate:
            await send(index)
    except TimeoutError:
        return Outcome(due, clock(), "timeout")
    except Shed:
        return Outcome(due, clock(), SHED)
    except Exception as error:  # the request failed: counted, with what failed it
        return Outcome(due, clock(), type(error).__name__)
    return Outcome(due, clock())


def summarise(outcomes: list[Outcome]) -> Summary:
    """Percentiles over every request, failed ones included (at the time they failed)."""
    latencies = [o.latency * 1000 for o in outcomes]
    errors = sum(o.error is not None for o in outcomes)
    span = max(o.ended for o in outcomes) - min(o.due for o in outcomes)
    return Summary(
        requests=len(outcomes),
        errors=errors,
        timeouts=sum(o.error == "timeout" for o in outcomes),
        shed=sum(o.error == SHED for o in outcomes),
        answered_per_s=round((len(outcomes) - errors) / span, 1) if span > 0 else 0.0,
        p50_ms=round(p50(latencies), 1),
        p99_ms=round(percentile(latencies, 0.99), 1),
        max_ms=round(max(latencies), 1),
    )


def p99_by_window(outcomes: list[Outcome], seconds: float = 5.0) -> list[float | None]:
    """The p99 of the requests due in each `seconds` from the first, in milliseconds: when
    in the run the slow ones were (a warm-up, a pause of the collector, a steady queue).
    A window in which no request was due has none."""
    if not outcomes:
        return []
    start = min(o.due for o in outcomes)
    windows: dict[int, list[float]] = {}
    for outcome in outcomes:
        windows.setdefault(int((outcome.due - start) // seconds), []).append(outcome.latency)
    return [
        round(percentile(windows[index], 0.99) * 1000, 1) if index in windows else None
        for index in range(max(windows) + 1)
    ]
