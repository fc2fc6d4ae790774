"""Onboarding in bulk: a CSV file of towns, officers, companies and company users (admin)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from core.onboarding import COLUMNS, MAX_FILE_BYTES, MAX_ROWS
from service.deps import AdminUser, SessionmakerDep, SettingsDep, TemporalConnectorDep
from service.errors import Invalid, error_responses
from service.schemas.imports import ImportReport
from service.use_cases import imports
from workflows.messages import N_

router = APIRouter(prefix="/api/v1/imports", tags=["imports"], responses=error_responses(401))

CSV_TYPES = ("text/csv", "text/plain", "application/csv", "application/octet-stream")
_BODY = {
    "requestBody": {
        "required": True,
        "description": (
            f"The CSV file itself, UTF-8 (a BOM is fine), `,` or `;` between cells, at most "
            f"{MAX_FILE_BYTES} bytes and {MAX_ROWS} rows; columns: {', '.join(COLUMNS)} "
            "(see the README, Onboarding in bulk)."
        ),
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@router.post(
    "",
    responses=error_responses(403, 413, 503),
    openapi_extra=_BODY,
)
async def import_file(
    *,
    request: Request,
    sessions: SessionmakerDep,
    settings: SettingsDep,
    temporal: TemporalConnectorDep,
    _admin: AdminUser,
    dry_run: Annotated[bool, Query(description="Only check the file (the default)")] = True,
) -> ImportReport:
    """Import towns, officers, companies and company users from a CSV file (admin).

    A dry run (the default) changes nothing and lists every problem by line. With
    `dry_run=false` the import is all or nothing: any problem gives 422 with one entry per
    problem (`loc` is `["body", <line>, <column>]`) and nothing changes; otherwise every
    row is created in one transaction, then each new user is emailed an invitation to
    choose a password. Importing the same file again creates nothing new.
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CSV_TYPES:
        raise Invalid(N_("send the file as text/csv"), loc=("header", "content-type"))
    outcome = await imports.import_file(
        sessions=sessions,
        settings=settings,
        temporal=temporal,
        content=await request.body(),
        apply=not dry_run,
    )
    return ImportReport.of(outcome.plan, dry_run=dry_run, applied=outcome.applied)
