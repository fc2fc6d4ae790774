"""Logs of real `pilotflow api` and `pilotflow worker` processes through a scenario full of
secrets: JSON lines with request and pilot ids, and not one secret in any line."""

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from cli.smtp_sink import SmtpSink
from core.logs import redact_text
from tests.support.smtp import running_sink
from tests.test_cli import PROJECT_ROOT, free_port, pilotflow, pilotflow_env, wait_for_port

ADMIN = ("admin@region.example", "admin-password-7f3k")
MEMBER = ("team@lumen.example", "member-password-q9x2")
WRONG_PASSWORD = "wrong-password-z8c4"
SECRET_KEY = "logs-test-secret-key-0123456789abcdef"
FORGED_TOKEN = "v1.forged-token-value-6d1e"


PROPOSAL = {
    "title": "Éclairage", "summary": "Dim the lights.", "theme": "efficient-city",
    "needs": ["lighting"], "budget_eur": 30000, "desired_start": "2030-03-01",
    "duration_days": 60,
    "kpis": [{"name": "energy", "unit": "kWh", "baseline": 1000, "target": 700}],
}  # fmt: skip
OFFICER = ("officer@lille.example", "officer-password-m4n1")


def _unsubscribe_token(sink: SmtpSink) -> str | None:
    for message in sink.messages:
        body = message.get_body(("plain",))
        found = re.search(r"/unsubscribe/([\w.-]+)", body.get_content() if body else "")
        if found:
            return found[1]
    return None


class Scenario:
    """Calls the live API, keeping every secret it uses and every request id it gets."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api
        self.secrets = [ADMIN[1], MEMBER[1], OFFICER[1], WRONG_PASSWORD, SECRET_KEY, FORGED_TOKEN]
        self.request_ids: list[str] = []

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.api.request(method, path, **kwargs)
        self.request_ids.append(response.headers["x-request-id"])
        return response

    async def sign_in(self, email: str, password: str) -> dict[str, str]:
        body = {"email": email, "password": password}
        response = await self.call("POST", "/api/v1/auth/token", json=body)
        token = response.json()["access_token"]
        self.secrets.append(token)
        return {"Authorization": f"Bearer {token}"}

    async def post(self, path: str, body: Any, headers: dict[str, str]) -> Any:
        response = await self.call("POST", path, json=body, headers=headers)
        assert response.status_code in (200, 201), response.text
        return response.json()


async def _scenario(scenario: Scenario, sink: SmtpSink) -> str:
    """Sign in, act, fail to sign in, follow an unsubscribe link; the pilot's id."""
    call, post = scenario.call, scenario.post
    admin = await scenario.sign_in(*ADMIN)
    wrong = {"email": ADMIN[0], "password": WRONG_PASSWORD}
    assert (await call("POST", "/api/v1/auth/token", json=wrong)).status_code == 401
    forged = {"Authorization": f"Bearer {FORGED_TOKEN}"}
    assert (await call("GET", "/api/v1/me", headers=forged)).status_code == 401
    town = await post("/api/v1/towns", {"name": "Lille"}, admin)
    company = await post("/api/v1/companies", {
        "name": "Lumen", "contact_email": "contact@lumen.example",
        "themes": ["efficient-city"], "tags": ["lighting"]}, admin)  # fmt: skip
    for (email, password), role, ids in (
        (OFFICER, "town_officer", {"town_id": town["id"]}),
        (MEMBER, "company", {"company_id": company["id"]}),
    ):
        body = {"email": email, "password": password, "role": role, **ids}
        await post("/api/v1/users", body, admin)
    officer = await scenario.sign_in(*OFFICER)
    pilot = await post("/api/v1/pilots", PROPOSAL, officer)
    await post(f"/api/v1/pilots/{pilot['id']}/review", {"decision": "approve"}, admin)
    for _ in range(600):
        if signed := _unsubscribe_token(sink):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("no invitation with an unsubscribe link")
    scenario.secrets.append(signed)
    assert (await call("GET", f"/unsubscribe/{signed}")).status_code == 200
    # The sign-in page, with a wrong then a right password: its session cookie is a token.
    form = await call("GET", "/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf
    for password in (WRONG_PASSWORD, MEMBER[1]):
        fields = {"email": MEMBER[0], "password": password, "csrf_token": csrf[1]}
        await call("POST", "/login", data=fields)
    scenario.secrets.extend(v for v in scenario.api.cookies.values() if len(v) > 16)
    await call("GET", f"/api/v1/pilots/{pilot['id']}", headers=admin)
    return str(pilot["id"])


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_no_secret_reaches_the_logs_of_a_real_run(
    tmp_path: Path, database_url: str, dev_env: WorkflowEnvironment
) -> None:
    port = free_port()
    task_queue = f"logs-{port}"
    with running_sink() as sink:
        env = pilotflow_env(
            tmp_path,
            database_url=database_url,
            temporal_address=dev_env.client.service_client.config.target_host,
            temporal_task_queue=task_queue,
            smtp_host="127.0.0.1",
            smtp_port=str(sink.port),
            api_port=str(port),
            admin_email=ADMIN[0],
            admin_password=ADMIN[1],
            secret_key=SECRET_KEY,
            environment="production",
            log_level="debug",  # the chattiest the logs get: still no secret
        )
        api_log, worker_log = tmp_path / "api.log", tmp_path / "worker.log"
        with (
            pilotflow("worker", env=env, log=worker_log),
            pilotflow("api", "--log-level", "debug", env=env, log=api_log),
        ):
            await asyncio.to_thread(wait_for_port, port, 30)
            base = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=base, timeout=30) as api:
                scenario = Scenario(api)
                pilot_id = await _scenario(scenario, sink)
            secrets, request_ids = scenario.secrets, scenario.request_ids
    lines = {name: log.read_text().splitlines() for name, log in
             (("api", api_log), ("worker", worker_log))}  # fmt: skip
    for name, text in lines.items():
        for secret in secrets:
            leaked = [line for line in text if secret in line]
            assert not leaked, f"{name} log holds {secret!r}: {leaked[:3]}"
    api_lines = [json.loads(line) for line in lines["api"] if line.startswith("{")]
    assert len(api_lines) > len(request_ids) / 2, lines["api"][:20]
    assert all(line.startswith("{") for line in lines["api"] if line.strip()), "JSON lines only"
    access = [e for e in api_lines if e.get("logger") == "uvicorn.access"]
    assert {e.get("request_id") for e in access} >= set(request_ids)
    assert any(e.get("pilot_id") == pilot_id for e in access)
    assert any("/unsubscribe/[redacted]" in e["event"] for e in access)
    worker_lines = [json.loads(line) for line in lines["worker"] if line.startswith("{")]
    assert any(e.get("pilot_id") == pilot_id and "recorded" in e["event"] for e in worker_lines)


def test_redaction_covers_every_kind_of_secret() -> None:
    samples = {
        '"GET /unsubscribe/c0mpany.s1gnature HTTP/1.1"': "c0mpany.s1gnature",
        "GET /set-password/abc.def?x=1": "abc.def",
        '"POST /password/InVtIjoxfQ.aBc.dEf HTTP/1.1" 303': "InVtIjoxfQ.aBc.dEf",
        "Authorization: Bearer v1.abc.def": "v1.abc.def",
        "/reset?token=s3cret&next=/": "s3cret",
        "postgresql://pilotflow:dbpass@postgres/pilotflow": "dbpass",
        "INSERT [parameters: ('a@b.example', '$argon2id$hash')] (Background": "argon2id",
        "{'password': 'hunter2'}": "hunter2",
    }
    for text, secret in samples.items():
        assert secret not in redact_text(text), text
    assert redact_text("GET /password/forgot") == "GET /password/forgot"


def _log_in_a_process(environment: str) -> str:
    program = (
        "import logging; from core.logs import configure_logging; "
        "from core.settings import get_settings; configure_logging(get_settings()); "
        "logging.getLogger('pilotflow.test').warning('went to %s', '/unsubscribe/abc.sig')"
    )
    env = {**pilotflow_env(PROJECT_ROOT / "data"), "PILOTFLOW_ENVIRONMENT": environment}
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, cwd=PROJECT_ROOT, capture_output=True, check=True
    )
    return done.stderr.decode().strip()


def test_development_reads_as_text_and_production_as_json() -> None:
    text = _log_in_a_process("development")
    assert "went to /unsubscribe/[redacted]" in text and "pilotflow.test" in text
    assert not text.startswith("{")
    line = json.loads(_log_in_a_process("production"))
    assert line["event"] == "went to /unsubscribe/[redacted]"
    assert (line["level"], line["logger"]) == ("warning", "pilotflow.test")


def test_pilotflow_dev_runs_its_stack_in_development(monkeypatch: pytest.MonkeyPatch) -> None:
    from cli import main as cli_main
    from core.settings import get_settings

    seen: list[str] = []
    monkeypatch.setenv("PILOTFLOW_ENVIRONMENT", "production")  # restored after the test
    monkeypatch.setattr(cli_main, "configure_logging", lambda settings, level=None: None)
    monkeypatch.setattr(
        cli_main, "cmd_dev", lambda settings, args: seen.append(settings.environment)
    )
    try:
        code = cli_main.run(["dev"])  # `main` would end this process: run the command only
    finally:
        get_settings.cache_clear()
    assert code == 0
    # Its children (api, worker) inherit the environment variable too.
    assert seen == ["development"]
    assert os.environ["PILOTFLOW_ENVIRONMENT"] == "development"
