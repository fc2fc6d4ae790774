"""Outside development, `pilotflow api` and `worker` refuse to start on development secrets."""

import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import Settings, unsafe_secrets
from tests.test_cli import PROJECT_ROOT, pilotflow_env

GOOD_KEY = "k" * 32
GOOD_PASSWORD = "a-long-admin-password"


def _settings(**values: str) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_production_is_the_default() -> None:
    assert _settings().environment == "production"


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({}, ["PILOTFLOW_SECRET_KEY", "PILOTFLOW_ADMIN_PASSWORD"]),
        ({"secret_key": "k" * 31, "admin_password": GOOD_PASSWORD}, ["PILOTFLOW_SECRET_KEY"]),
        ({"secret_key": GOOD_KEY, "admin_password": "short-pass1"}, ["PILOTFLOW_ADMIN_PASSWORD"]),
        (
            {"secret_key": GOOD_KEY, "admin_password": "change-me-admin"},
            ["PILOTFLOW_ADMIN_PASSWORD"],
        ),
        ({"secret_key": GOOD_KEY, "admin_password": GOOD_PASSWORD}, []),
    ],
)
def test_each_unsafe_secret_is_one_line_naming_it(values: dict[str, str], named: list[str]) -> None:
    problems = unsafe_secrets(_settings(**values))
    assert [line.split(" ")[0] for line in problems] == named


def test_development_accepts_the_development_values() -> None:
    assert unsafe_secrets(_settings(environment="development")) == []


@pytest.mark.parametrize("command", ["api", "worker"])
def test_the_process_refuses_to_start(command: str, tmp_path: Path) -> None:
    env = pilotflow_env(tmp_path, environment="production", secret_key="short")
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", command],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert any(
        line.startswith(f"pilotflow {command}: PILOTFLOW_SECRET_KEY has 5") for line in lines
    )
    assert any(
        line.startswith(f"pilotflow {command}: PILOTFLOW_ADMIN_PASSWORD is the development")
        for line in lines
    )
