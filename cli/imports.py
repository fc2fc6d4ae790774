"""`pilotflow import FILE [--apply]`: onboarding in bulk from the command line.

The same use case as POST /api/v1/imports and the import page: a dry run by default, and
with `--apply` an all-or-nothing import followed by the invitation emails (Temporal must be
reachable when someone is to be invited). Exit code 0 when the file is clean (and, with
`--apply`, imported), 1 otherwise.
"""

import asyncio
import sys
from pathlib import Path

from core.db import create_engine, create_sessionmaker
from core.onboarding import MAX_FILE_BYTES, Plan
from core.settings import Settings
from service.errors import DomainError
from service.temporal import TemporalConnector
from service.use_cases import imports


def run_import(settings: Settings, path: Path, *, apply: bool) -> int:
    try:
        with path.open("rb") as file:
            content = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        print(f"pilotflow import: cannot read {path}: {error.strerror}", file=sys.stderr)
        return 1
    return asyncio.run(_import(settings, content, apply=apply))


async def _import(settings: Settings, content: bytes, *, apply: bool) -> int:
    engine = create_engine(settings.effective_database_url)
    try:
        outcome = await imports.import_file(
            sessions=create_sessionmaker(engine),
            settings=settings,
            temporal=TemporalConnector(settings),
            content=content,
            apply=apply,
        )
    except imports.ImportRefused as refused:
        print(report(refused.plan, dry_run=True))
        print(f"nothing imported: {len(refused.plan.problems)} problem(s)", file=sys.stderr)
        return 1
    except imports.InvitationsNotAsked as unasked:
        print(report(unasked.plan, dry_run=False))
        print(f"pilotflow import: {unasked.detail}", file=sys.stderr)
        return 1
    except DomainError as error:
        print(f"pilotflow import: {error.detail}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print(report(outcome.plan, dry_run=not outcome.applied))
    if outcome.plan.problems:
        return 1
    if not outcome.applied:
        print("dry run: nothing changed; run again with --apply to import")
    return 0


def report(plan: Plan, *, dry_run: bool) -> str:
    """The plan line by line, its problems beneath, then the counts by kind."""
    lines = []
    for line in plan.lines:
        action = line.action.value if line.action is not None else "-"
        invite = "  invitation" if line.invitation else ""
        lines.append(f"{line.line:>5}  {line.kind:<12}  {line.key:<40}  {action}{invite}")
        lines.extend(
            f"         {problem.column or 'line'}: {problem.message}" for problem in line.problems
        )
    verb = "would create" if dry_run else "created"
    for kind, counts in plan.counts().items():
        lines.append(f"{kind}: {verb} {counts['create']}, unchanged {counts['unchanged']}")
    invitations = sum(line.invitation for line in plan.lines)
    lines.append(f"problems: {len(plan.problems)}, invitations: {invitations}")
    return "\n".join(lines)
