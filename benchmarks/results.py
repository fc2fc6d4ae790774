"""The result document of `benchmarks.run`: how it was run, the figures, the issue's targets."""

import json
import os
import platform
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.settings import PROJECT_ROOT

RESULTS_DIR = PROJECT_ROOT / "benchmarks" / "results"

# What every database's figures must hold (issue 10, "What to build").
REQUIRED_KEYS = (
    "lifecycle_per_s",
    "engine_floor_per_s",
    "lifecycle_ratio",
    "update_p95_ms",
    "twin_update_p95_ms",
    "worker_cpu_ms_per_pilot",
    "email_cpu_ms",
    "create_p99_ms",
    "read_p50_ms",
    "read_p99_ms",
    "list_p99_1k_ms",
    "list_p99_10k_ms",
    "worker_rss_mb_10k",
)

Figures = Mapping[str, Any]


@dataclass(frozen=True)
class Target:
    """One target of issue 10: what is compared with what, and whether it holds."""

    name: str
    value: Callable[[Figures], float]
    limit: Callable[[Figures], float]
    at_least: bool = False  # the value must reach the limit (else stay at or under it)

    def check(self, figures: Figures) -> dict[str, Any]:
        value, limit = self.value(figures), self.limit(figures)
        met = value >= limit if self.at_least else value <= limit
        return {"target": self.name, "value": value, "limit": limit, "met": met}


def _key(name: str) -> Callable[[Figures], float]:
    return lambda figures: float(figures[name])


def _fixed(limit: float) -> Callable[[Figures], float]:
    return lambda figures: limit


def _growth(kind: str) -> Callable[[Figures], float]:
    return lambda figures: round(
        figures[f"{kind}_p99_10k_ms"] / max(figures[f"{kind}_p99_1k_ms"], 0.001), 2
    )


TARGETS = (
    Target("lifecycle_ratio at least 0.6", _key("lifecycle_ratio"), _fixed(0.6), at_least=True),
    Target(
        "review Update p95 at most twice the twin's",
        _key("update_p95_ms"),
        lambda figures: 2 * figures["twin_update_p95_ms"],
    ),
    Target("reads at 200/s: p99 at most 25 ms", _key("read_p99_ms"), _fixed(25)),
    Target("reads at 200/s: no error", _key("read_errors"), _fixed(0)),
    Target("creation at 20/s: p99 at most 150 ms", _key("create_p99_ms"), _fixed(150)),
    Target("list p99 from 1k to 10k pilots: at most 1.5x", _growth("list"), _fixed(1.5)),
    Target("detail p99 from 1k to 10k pilots: at most 1.5x", _growth("detail"), _fixed(1.5)),
    Target("worker RSS with the open pilots under 500 MB", _key("worker_rss_mb_10k"), _fixed(500)),
)


def check_targets(figures: Figures, *, complete: bool = True) -> list[dict[str, Any]]:
    """Each target's check; a run of some phases only checks those its figures measure."""
    checks = []
    for target in TARGETS:
        try:
            checks.append(target.check(figures))
        except KeyError:
            if complete:
                raise
    return checks


def missing_keys(figures: Figures) -> list[str]:
    return [key for key in REQUIRED_KEYS if key not in figures]


def assemble(
    run: Mapping[str, Any], databases: Mapping[str, Figures], *, complete: bool = True
) -> dict[str, Any]:
    """The whole document: the run's facts, then each database's figures and targets.

    `complete`: every phase ran, so every required figure must be there.
    """
    document: dict[str, Any] = {"run": dict(run), "databases": {}}
    for database, figures in databases.items():
        missing = missing_keys(figures)
        if missing and complete:
            raise ValueError(f"{database}: the figures lack {', '.join(missing)}")
        targets = check_targets(figures, complete=complete)
        document["databases"][database] = {**figures, "targets": targets}
    return document


def write(document: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def git_commit() -> str:
    """HEAD, with `-dirty` when tracked files have changes the commit does not hold."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    return git("rev-parse", "HEAD") + (
        "-dirty" if git("status", "--porcelain", "--untracked-files=no") else ""
    )


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(memory_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def started_at() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def markdown(document: Mapping[str, Any]) -> str:
    """The figures and targets of a result document, as Markdown tables for PERFORMANCE.md."""
    databases = document["databases"]
    names = list(databases)
    keys = [k for k in databases[names[0]] if k not in ("targets", "database")]
    lines = ["| figure | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    lines += [
        f"| `{k}` | " + " | ".join(str(databases[n].get(k)) for n in names) + " |" for k in keys
    ]
    lines += ["", "| target | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for index, target in enumerate(databases[names[0]]["targets"]):
        cells = []
        for name in names:
            checked = databases[name]["targets"][index]
            verdict = "met" if checked["met"] else "not met"
            cells.append(f"{checked['value']:g} (limit {checked['limit']:g}): {verdict}")
        lines.append(f"| {target['target']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m benchmarks.results benchmarks/results/latest.json
    print(markdown(json.loads(Path(sys.argv[1]).read_text())))
