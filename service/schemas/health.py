"""Liveness and readiness."""

from typing import Literal

from pydantic import BaseModel

CheckStatus = Literal["ok", "down"]


class Alive(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """`checks` names each backing service: database, temporal, smtp."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, CheckStatus]
