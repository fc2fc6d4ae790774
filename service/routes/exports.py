"""Downloads: the pilots with the list's filters, one pilot's audit record, the KPI report."""

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse

from service.deps import (
    AdminOrOfficer,
    ListFilters,
    Reader,
    ReadSessionDep,
    SessionDep,
    SessionmakerDep,
    SettingsDep,
    TemporalConnectorDep,
)
from service.downloads import streamed
from service.errors import error_responses
from service.schemas.common import IdPath
from service.schemas.exports import AuditExport, ExportFormat, Format, KpiResultRow
from service.schemas.pilots import PilotPublic
from service.use_cases import exports

router = APIRouter(tags=["exports"], responses=error_responses(401))

_NAMED = {
    "Content-Disposition": {
        "description": '`attachment; filename="..."`: the file\'s name',
        "schema": {"type": "string"},
    }
}


def _download(model: Any) -> dict[int | str, dict[str, Any]]:
    """A streamed file's 200: CSV text, or `model` as JSON."""
    return {
        200: {
            "model": model,
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "The file, streamed",
            "headers": _NAMED,
        }
    }


@router.get(
    "/api/v1/pilots/export",
    response_class=StreamingResponse,
    responses={**_download(list[PilotPublic]), **error_responses()},
)
async def export_pilots(
    *,
    session: ReadSessionDep,
    sessions: SessionmakerDep,
    user: Reader,
    filters: ListFilters,
    fmt: Format = ExportFormat.CSV,
) -> StreamingResponse:
    """Every pilot the list would show the caller with these filters, newest first, streamed.

    JSON: an array of Pilot bodies. CSV: one column per Pilot field; lists and objects as
    JSON text in their cell; text that a spreadsheet would run as a formula starts with `'`.
    """
    return streamed(await exports.export_pilots(session, sessions, user, filters, fmt))


@router.get(
    "/api/v1/pilots/{pilot_id}/audit-export",
    responses={200: {"headers": _NAMED}, **error_responses(404, 503)},
)
async def audit_export(
    *,
    pilot_id: IdPath,
    session: ReadSessionDep,
    settings: SettingsDep,
    connector: TemporalConnectorDep,
    user: Reader,
    response: Response,
) -> AuditExport:
    """The pilot, its audit trail and, for an admin, its Temporal history and email, in one."""
    document = await exports.audit_export(session, connector, settings, user, pilot_id)
    disposition = f'attachment; filename="{exports.audit_filename(document.pilot)}"'
    response.headers["Content-Disposition"] = disposition
    return document


@router.get(
    "/api/v1/reports/kpi-results",
    response_class=StreamingResponse,
    responses={**_download(list[KpiResultRow]), **error_responses(403)},
)
async def kpi_results(
    *,
    session: SessionDep,
    sessions: SessionmakerDep,
    user: AdminOrOfficer,
    fmt: Format = ExportFormat.CSV,
) -> StreamingResponse:
    """One row per KPI of each evaluated pilot, for the council's report, streamed.

    An admin reads every town's; a town officer its own town's only; a company 403.
    """
    return streamed(await exports.export_kpi_results(session, sessions, user, fmt))
