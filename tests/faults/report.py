"""Turn the latest fault-suite results into the figures table of docs/RELIABILITY.md.

.venv/bin/python -m tests.faults.report            # from PILOTFLOW_FAULT_RESULTS or tmp
.venv/bin/python -m tests.faults.report --print    # only print the table
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from core.settings import PROJECT_ROOT
from tests.faults.results import results_dir

DOC = PROJECT_ROOT / "docs" / "RELIABILITY.md"
START = "<!-- fault-figures:start -->"
END = "<!-- fault-figures:end -->"
FAULTS = [
    "worker-kill",
    "temporal-restart",
    "smtp-outage",
    "database-outage",
    "worker-and-api-kill",
]
COLUMNS = [
    ("pilots", "pilots"),
    ("mid_lifecycle_at_fault", "mid-lifecycle at fault"),
    ("pilots_at_end_stage", "closed"),
    ("requests_accepted", "requests accepted"),
    ("requests_took_effect", "took effect"),
    ("emails_expected", "emails expected"),
    ("emails_delivered", "delivered"),
    ("emails_lost", "lost"),
    ("emails_duplicated", "duplicated"),
    ("in_flight_at_fault", "in flight at fault"),
    ("seconds", "seconds"),
]


def load(folder: Path) -> list[dict[str, Any]]:
    found = [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]
    order = {name: n for n, name in enumerate(FAULTS)}
    return sorted(found, key=lambda r: (r["database"] != "sqlite", order.get(r["fault"], 99)))


def table(results: list[dict[str, Any]]) -> str:
    header = ["database", "fault", *(title for _, title in COLUMNS), "retried (why: count)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for result in results:
        retries = ", ".join(f"{why}: {n}" for why, n in sorted(result["retries"].items()))
        cells = [result["database"], result["fault"], *(str(result.get(k)) for k, _ in COLUMNS)]
        lines.append("| " + " | ".join([*cells, retries or "none"]) + " |")
    return "\n".join(lines)


def replace_table(document: str, rendered: str) -> str:
    before, rest = document.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{rendered}\n{END}{after}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=results_dir())
    parser.add_argument("--print", action="store_true", help="print the table, change nothing")
    args = parser.parse_args(argv)
    results = load(args.results)
    if not results:
        print(f"no results in {args.results}: run .venv/bin/pytest tests/faults", file=sys.stderr)
        return 1
    rendered = table(results)
    if args.print:
        print(rendered)
        return 0
    DOC.write_text(replace_table(DOC.read_text(), rendered))
    print(f"{DOC}: {len(results)} runs from {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
