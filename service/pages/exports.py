"""The pages' download links: the same exports as the API's, for a signed-in browser."""

from typing import Annotated

from fastapi import Depends
from fastapi.responses import JSONResponse, Response, StreamingResponse

from core.models import User
from service.deps import (
    ListFilters,
    SessionDep,
    SessionmakerDep,
    SettingsDep,
    TemporalConnectorDep,
    require_role,
)
from service.downloads import streamed
from service.pages.routing import page_router
from service.pages.session import PageUser, get_page_user
from service.schemas.common import IdPath
from service.schemas.exports import ExportFormat, Format
from service.use_cases import exports
from workflows.stages import Role

router = page_router()

PageReporter = Annotated[
    User, Depends(require_role(Role.ADMIN, Role.TOWN_OFFICER, user_of=get_page_user))
]


@router.get("/exports/pilots")
async def pilots_download(
    *,
    session: SessionDep,
    sessions: SessionmakerDep,
    user: PageUser,
    filters: ListFilters,
    fmt: Format = ExportFormat.CSV,
) -> StreamingResponse:
    """The pilots the user's list shows with these filters, as GET /api/v1/pilots/export."""
    return streamed(await exports.export_pilots(session, sessions, user, filters, fmt))


@router.get("/pilots/{pilot_id}/audit-export")
async def audit_download(
    *,
    pilot_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    connector: TemporalConnectorDep,
    user: PageUser,
) -> Response:
    """The pilot's audit record, as GET /api/v1/pilots/{id}/audit-export."""
    document = await exports.audit_export(session, connector, settings, user, pilot_id)
    disposition = f'attachment; filename="{exports.audit_filename(document.pilot)}"'
    return JSONResponse(
        document.model_dump(mode="json"), headers={"Content-Disposition": disposition}
    )


@router.get("/reports/kpi-results")
async def kpi_report_download(
    *,
    session: SessionDep,
    sessions: SessionmakerDep,
    user: PageReporter,
    fmt: Format = ExportFormat.CSV,
) -> StreamingResponse:
    """The KPI results, as GET /api/v1/reports/kpi-results."""
    return streamed(await exports.export_kpi_results(session, sessions, user, fmt))
