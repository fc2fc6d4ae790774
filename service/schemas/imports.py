"""The report of an onboarding import (POST /api/v1/imports), dry run or real."""

from typing import Literal

from pydantic import BaseModel

from core.onboarding import Plan


class ImportProblem(BaseModel):
    """Why a line cannot be imported: `type` for programs, `msg` for people."""

    column: str | None
    type: str
    msg: str


class ImportLine(BaseModel):
    line: int
    kind: str
    key: str
    action: Literal["create", "unchanged"] | None
    invitation: bool
    problems: list[ImportProblem]


class ImportCounts(BaseModel):
    create: int
    unchanged: int


class ImportReport(BaseModel):
    """Line by line, what the import does (`dry_run`: would do) and every problem."""

    dry_run: bool
    applied: bool
    rows: int
    problems: int
    invitations: int
    counts: dict[str, ImportCounts]
    lines: list[ImportLine]

    @classmethod
    def of(cls, plan: Plan, *, dry_run: bool, applied: bool) -> "ImportReport":
        lines = [
            ImportLine(
                line=line.line,
                kind=line.kind,
                key=line.key,
                action=line.action.value if line.action is not None else None,
                invitation=line.invitation,
                problems=[
                    ImportProblem(column=p.column or None, type=p.type, msg=p.message)
                    for p in line.problems
                ],
            )
            for line in plan.lines
        ]
        counts = {kind: ImportCounts(**count) for kind, count in plan.counts().items()}
        return cls(
            dry_run=dry_run,
            applied=applied,
            rows=len(lines),
            problems=len(plan.problems),
            invitations=sum(line.invitation for line in lines),
            counts=counts,
            lines=lines,
        )
