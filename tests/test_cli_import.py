"""`pilotflow import FILE [--apply]` on a migrated SQLite region, Temporal unreachable.

Each command runs in a process of its own, as in a shell: run in pytest's process, the CLI's
`asyncio.run` would leave the session's event loop closed for every test after it.
"""

import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.onboarding_sample import SAMPLE_CSV
from tests.support.smtp import free_port


@dataclass(frozen=True)
class Region:
    database: Path
    env: dict[str, str]

    def pilotflow(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cli.main", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def count(self, table: str) -> int:
        with sqlite3.connect(self.database) as connection:
            return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture
def region(tmp_path: Path) -> Region:
    """A migrated region in `tmp_path`; the settings come from the environment, as in a shell."""
    database = tmp_path / "pilotflow.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTFLOW_")}
    env |= {
        "PILOTFLOW_DATA_DIR": str(tmp_path),
        "PILOTFLOW_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "PILOTFLOW_ENVIRONMENT": "development",
        "PILOTFLOW_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
    }
    made = Region(database, env)
    migrated = made.pilotflow("migrate")
    assert migrated.returncode == 0, migrated.stderr
    return made


def test_a_dry_run_of_the_sample_changes_nothing(region: Region) -> None:
    result = region.pilotflow("import", str(SAMPLE_CSV))

    assert result.returncode == 0, result.stderr
    assert "town: would create 95, unchanged 0" in result.stdout
    assert "company_user: would create 100, unchanged 0" in result.stdout
    assert "problems: 0, invitations: 195" in result.stdout
    assert region.count("towns") == 0


def test_apply_imports_once_then_finds_everything_unchanged(region: Region, tmp_path: Path) -> None:
    towns = tmp_path / "towns.csv"
    towns.write_text("kind;name;code\ntown;Lille;59350\ntown;Roubaix;59512\n", encoding="utf-8")

    first = region.pilotflow("import", str(towns), "--apply")
    assert first.returncode == 0, first.stderr
    assert "town: created 2, unchanged 0" in first.stdout
    again = region.pilotflow("import", str(towns), "--apply")
    assert again.returncode == 0, again.stderr
    assert "town: created 0, unchanged 2" in again.stdout
    assert region.count("towns") == 2


def test_problems_and_an_unreachable_temporal_change_nothing(
    region: Region, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,email,town\nofficer,ana@x.example,Atlantis\n", encoding="utf-8")
    users = region.count("users")  # the first admin, made by `migrate`

    refused = region.pilotflow("import", str(bad), "--apply")
    assert refused.returncode == 1
    assert "town: unknown town Atlantis" in refused.stdout
    assert "nothing imported: 1 problem(s)" in refused.stderr
    unreachable = region.pilotflow("import", str(SAMPLE_CSV), "--apply")
    assert unreachable.returncode == 1
    assert "Temporal server cannot be reached" in unreachable.stderr
    assert region.count("towns") == 0 and region.count("users") == users
    assert region.pilotflow("import", str(tmp_path / "absent.csv")).returncode == 1
