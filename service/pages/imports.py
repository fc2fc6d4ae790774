"""The programme team's onboarding in bulk: upload a CSV file, read the dry run's report line
by line, then import it for real, through the same use case as POST /api/v1/imports.

The browser cannot send a file twice without a script, so the report's "import for real"
form carries the text of the checked file back (multipart, so it is not percent-encoded);
the real import checks it all again in its own transaction anyway.
"""

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import FileResponse, Response
from starlette.datastructures import UploadFile

from core.onboarding import COLUMNS, MAX_FILE_BYTES, MAX_ROWS, Action, Plan
from core.settings import PROJECT_ROOT
from service.deps import SessionmakerDep, SettingsDep, TemporalConnectorDep
from service.errors import DomainError
from service.pages.flash import Flash
from service.pages.i18n import Translate, said, translator
from service.pages.rendering import page_locale, render
from service.pages.routing import page_router
from service.pages.session import PageAdmin
from service.use_cases import imports
from workflows.messages import N_

router = page_router(prefix="/admin")

SAMPLE = PROJECT_ROOT / "reference" / "onboarding-sample.csv"
TEMPLATE = "admin/imports.html"
KINDS = {
    "town": N_("Town"),
    "officer": N_("Town officer"),
    "company": N_("Company"),
    "company_user": N_("Company user"),
}
ACTIONS = {
    (Action.CREATE, True): N_("to create"),
    (Action.CREATE, False): N_("created"),
    (Action.UNCHANGED, True): N_("unchanged"),
    (Action.UNCHANGED, False): N_("unchanged"),
}
NO_FILE = N_("Choose a CSV file to check.")
REFUSED = N_("Nothing was imported: correct the problems below, then check the file again.")


@dataclass(frozen=True)
class ReportLine:
    line: int
    kind: str
    key: str
    action: str
    invitation: bool
    problems: list[str]


@dataclass(frozen=True)
class Report:
    dry_run: bool
    lines: list[ReportLine]
    problems: int
    counts: list[tuple[str, int, int]]  # kind, created (or to create), unchanged
    invitations: int


def report_of(plan: Plan, dry_run: bool, _: Translate) -> Report:
    """The plan as the page's table says it, in the reader's language."""
    lines = [
        ReportLine(
            line=line.line,
            kind=_(KINDS[line.kind]) if line.kind in KINDS else line.kind,
            key=line.key,
            action=_(ACTIONS[line.action, dry_run]) if line.action is not None else "",
            invitation=line.invitation,
            problems=[
                _(problem.template) % dict(problem.values)
                if problem.values
                else _(problem.template)
                for problem in line.problems
            ],
        )
        for line in plan.lines
    ]
    counts = [
        (_(KINDS[kind]), count[Action.CREATE.value], count[Action.UNCHANGED.value])
        for kind, count in plan.counts().items()
    ]
    return Report(
        dry_run=dry_run,
        lines=lines,
        problems=len(plan.problems),
        counts=counts,
        invitations=sum(line.invitation for line in lines),
    )


def _context(**values: Any) -> dict[str, Any]:
    return {
        "columns": COLUMNS,
        "max_rows": MAX_ROWS,
        "max_bytes": MAX_FILE_BYTES,
        "report": None,
        "content": "",
        "error": "",
        **values,
    }


@router.get("/imports")
async def import_form(*, request: Request, _admin: PageAdmin) -> Response:
    """The upload form, and the file's format."""
    return render(request, TEMPLATE, _context())


@router.get("/imports/sample.csv")
async def sample(*, _admin: PageAdmin) -> Response:
    """The sample file: the metropolis's 95 towns, an officer each, generated companies."""
    return FileResponse(SAMPLE, media_type="text/csv; charset=utf-8", filename=SAMPLE.name)


@router.post("/imports")
async def import_file(
    *,
    request: Request,
    sessions: SessionmakerDep,
    settings: SettingsDep,
    temporal: TemporalConnectorDep,
    _admin: PageAdmin,
) -> Response:
    """Check the uploaded file (or the checked text, `apply=1`: import it for real)."""
    _ = translator(page_locale(request))
    form = await request.form()
    upload, text = form.get("file"), form.get("content")
    if isinstance(upload, UploadFile) and upload.filename:
        content = await upload.read(MAX_FILE_BYTES + 1)
    elif isinstance(text, str) and text:
        content = text.encode("utf-8", "replace")
    else:
        return render(request, TEMPLATE, _context(error=_(NO_FILE)), status_code=422)
    apply = form.get("apply") == "1"
    try:
        outcome = await imports.import_file(
            sessions=sessions, settings=settings, temporal=temporal, content=content, apply=apply
        )
    except imports.ImportRefused as refused:
        report = report_of(refused.plan, True, _)
        context = _context(report=report, error=_(REFUSED))
        return render(request, TEMPLATE, context, status_code=refused.status_code)
    except imports.InvitationsNotAsked as unasked:
        context = _context(report=report_of(unasked.plan, False, _), error=said(unasked, _))
        return render(request, TEMPLATE, context, status_code=unasked.status_code)
    except DomainError as error:
        return render(
            request, TEMPLATE, _context(error=said(error, _)), status_code=error.status_code
        )
    report = report_of(outcome.plan, not outcome.applied, _)
    decoded = content.decode("utf-8-sig", "replace")
    flash = None
    if outcome.applied:
        created = sum(count[1] for count in report.counts)
        done = N_("Imported: %(created)s created, %(invitations)s invitations asked for.")
        flash = Flash("success", _(done) % {"created": created, "invitations": report.invitations})
    context = _context(report=report, content=decoded if not outcome.applied else "")
    return render(request, TEMPLATE, context | ({"flash": flash} if flash else {}))
