"""Liveness and readiness probes (no authentication)."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from service.deps import SessionmakerDep, SettingsDep, TemporalConnectorDep
from service.readiness import check_all
from service.schemas.health import Alive, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> Alive:
    """The process is up."""
    return Alive()


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A backing service is down"}},
)
async def readyz(
    *, settings: SettingsDep, sessions: SessionmakerDep, temporal: TemporalConnectorDep
) -> JSONResponse:
    """The database, the Temporal server and the SMTP server all answer."""
    results = await check_all(settings, sessions, temporal)
    ready = all(results.values())
    body = Readiness(
        status="ok" if ready else "unavailable",
        checks={name: "ok" if up else "down" for name, up in results.items()},
    )
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
