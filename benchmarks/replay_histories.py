"""How long replaying each recorded history takes: what a worker pays to rebuild an evicted pilot.

A worker that restarts, or drops a pilot from its cache, replays the pilot's whole history
on its next task; the longer a pilot lives, the longer its history.

    .venv/bin/python -m benchmarks.replay_histories
    .venv/bin/python -m benchmarks.replay_histories --repeats 50
"""

import argparse
import asyncio
import time
from collections.abc import AsyncIterator

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from benchmarks.common import load_average, machine_facts, ms, p50, p95, table
from core.temporal_client import DATA_CONVERTER
from tests.support.histories import HISTORIES_DIR
from workflows.pilot import PilotWorkflow


async def main(args: argparse.Namespace) -> None:
    print(f"# replay_histories — {machine_facts()}")
    paths = sorted(HISTORIES_DIR.glob("*.json"))
    histories = [WorkflowHistory.from_json(f"pilot-{p.stem}", p.read_text()) for p in paths]
    replayer = Replayer(workflows=[PilotWorkflow], data_converter=DATA_CONVERTER)
    started = time.perf_counter()
    await replayer.replay_workflow(histories[0])
    print(f"  first replay of the run (sandbox warm-up): {ms(time.perf_counter() - started)} ms")
    rows, total = [], 0.0
    for path, history in zip(paths, histories, strict=True):
        samples = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            await replayer.replay_workflow(history)
            samples.append(time.perf_counter() - started)
        total += p50(samples)
        rows.append(
            [
                path.stem,
                len(history.events),
                f"{path.stat().st_size / 1024:.0f}",
                f"{ms(p50(samples))} / {ms(p95(samples))}",
                f"{p50(samples) / len(history.events) * 1e6:.0f}",
            ]
        )
    header = ["history", "events", "KiB", "replay p50 / p95 ms", "µs per event"]
    print(f"{args.repeats} replays each\n\n" + table(header, rows))
    print(f"\n  all {len(rows)} histories one by one, sum of medians: {ms(total)} ms")
    together = []
    for _ in range(max(3, args.repeats // 4)):
        started = time.perf_counter()
        await replayer.replay_workflows(_each(histories))
        together.append(time.perf_counter() - started)
    print(f"  all {len(rows)} in one replay_workflows call: {ms(p50(together))} ms")


async def _each(histories: list[WorkflowHistory]) -> AsyncIterator[WorkflowHistory]:
    for history in histories:
        yield history


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=20, help="replays per history")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
    print(f"\nload average at the end: {load_average()}")
