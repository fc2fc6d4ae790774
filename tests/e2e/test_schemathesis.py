"""Schemathesis against the running service's own OpenAPI document.

The API runs as `pilotflow api` in its own process, with a real worker, the dev server and
an SMTP sink behind it, so every operation can answer for real: no server error, and every
response matches the schema, as an admin and as a town officer.
"""

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from cli.smtp_sink import SmtpSink
from cli.worker import build_worker
from core.settings import Settings
from tests.conftest import VENV_BIN
from tests.support.smtp import free_port

ADMIN = ("admin@region.example", "admin-password-1")
OFFICER = ("officer@lille.example", "officer-password-1")
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)


@pytest.fixture
async def live_api(
    database_url: str,
    tmp_path: Path,
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    sink: SmtpSink,
    task_queue: str,
) -> AsyncIterator[str]:
    port = free_port()
    env = os.environ | {
        "PILOTFLOW_DATABASE_URL": database_url,
        "PILOTFLOW_DATA_DIR": str(tmp_path),
        "PILOTFLOW_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "PILOTFLOW_TEMPORAL_TASK_QUEUE": task_queue,
        "PILOTFLOW_SMTP_HOST": "127.0.0.1",
        "PILOTFLOW_SMTP_PORT": str(sink.port),
        "PILOTFLOW_API_PORT": str(port),
        "PILOTFLOW_ADMIN_EMAIL": ADMIN[0],
        "PILOTFLOW_ADMIN_PASSWORD": ADMIN[1],
        # Production checks apply: a real-length secret and admin password.
        "PILOTFLOW_ENVIRONMENT": "production",
        "PILOTFLOW_SECRET_KEY": "schemathesis-secret-" + "s" * 32,
    }
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        temporal_task_queue=task_queue,
    )
    log = (tmp_path / "api.log").open("wb")
    api = await asyncio.create_subprocess_exec(
        str(VENV_BIN / "pilotflow"), "api", env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with build_worker(dev_env.client, settings, sessions):
            await _wait_ready(url)
            yield url
    finally:
        api.terminate()
        await api.wait()
        log.close()
        log.close()


async def _wait_ready(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(150):
            try:
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("the API never became ready")


async def _token(client: httpx.AsyncClient, url: str, email: str, password: str) -> str:
    response = await client.post(
        f"{url}/api/v1/auth/token", json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def _officer(client: httpx.AsyncClient, url: str, admin: str) -> str:
    headers = {"Authorization": f"Bearer {admin}"}
    town = await client.post(f"{url}/api/v1/towns", json={"name": "Lille"}, headers=headers)
    assert town.status_code == 201, town.text
    user = await client.post(
        f"{url}/api/v1/users",
        json={
            "email": OFFICER[0],
            "password": OFFICER[1],
            "role": "town_officer",
            "town_id": town.json()["id"],
        },
        headers=headers,
    )
    assert user.status_code == 201, user.text
    return await _token(client, url, *OFFICER)


async def _schemathesis(url: str, token: str, report: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(VENV_BIN / "schemathesis"),
        "run",
        f"{url}/openapi.json",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        "15",
        "--seed",
        "20261125",
        "--header",
        f"Authorization: Bearer {token}",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        "--no-color",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=os.environ | {"SCHEMATHESIS_HOOKS": ""},
        cwd=report.parent,
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode(errors="replace")


@pytest.mark.skipif(sys.platform != "linux", reason="runs the stack as Linux processes")
@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_no_server_error_and_responses_match_the_schema(
    live_api: str, tmp_path: Path
) -> None:
    async with httpx.AsyncClient() as client:
        admin = await _token(client, live_api, *ADMIN)
        officer = await _officer(client, live_api, admin)
    for role, token in (("admin", admin), ("officer", officer)):
        code, output = await _schemathesis(live_api, token, tmp_path / f"{role}.xml")
        server_log = (tmp_path / "api.log").read_text(errors="replace")[-4000:]
        assert code == 0, f"schemathesis as {role}:\n{output[-6000:]}\nAPI log:\n{server_log}"
        # The stateful phase chains real operations (links); it must run, not be skipped.
        assert re.search(r"✅\s+Stateful", output), output[-2500:]
