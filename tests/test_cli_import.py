"""`pilotflow import FILE [--apply]` on a migrated SQLite region, Temporal unreachable."""

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.main import run
from core.migrate import upgrade
from core.onboarding_sample import SAMPLE_CSV
from core.settings import get_settings
from tests.support.smtp import free_port


@pytest.fixture
def region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A migrated region in `tmp_path`; the settings come from the environment, as in a shell."""
    database = tmp_path / "pilotflow.db"
    for name, value in {
        "PILOTFLOW_DATA_DIR": str(tmp_path),
        "PILOTFLOW_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "PILOTFLOW_ENVIRONMENT": "development",
        "PILOTFLOW_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    upgrade(f"sqlite+aiosqlite:///{database}")
    yield database
    get_settings.cache_clear()


def _count(database: Path, table: str) -> int:
    with sqlite3.connect(database) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_a_dry_run_of_the_sample_changes_nothing(
    region: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["import", str(SAMPLE_CSV)]) == 0
    out = capsys.readouterr().out
    assert "town: would create 95, unchanged 0" in out
    assert "company_user: would create 100, unchanged 0" in out
    assert "problems: 0, invitations: 195" in out
    assert _count(region, "towns") == 0


def test_apply_imports_once_then_finds_everything_unchanged(
    region: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    towns = tmp_path / "towns.csv"
    towns.write_text("kind;name;code\ntown;Lille;59350\ntown;Roubaix;59512\n", encoding="utf-8")
    assert run(["import", str(towns), "--apply"]) == 0
    assert "town: created 2, unchanged 0" in capsys.readouterr().out
    assert run(["import", str(towns), "--apply"]) == 0
    assert "town: created 0, unchanged 2" in capsys.readouterr().out
    assert _count(region, "towns") == 2


def test_problems_and_an_unreachable_temporal_change_nothing(
    region: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,email,town\nofficer,ana@x.example,Atlantis\n", encoding="utf-8")
    assert run(["import", str(bad), "--apply"]) == 1
    captured = capsys.readouterr()
    assert "town: unknown town Atlantis" in captured.out
    assert "nothing imported: 1 problem(s)" in captured.err
    assert run(["import", str(SAMPLE_CSV), "--apply"]) == 1
    assert "Temporal server cannot be reached" in capsys.readouterr().err
    assert _count(region, "towns") == _count(region, "users") == 0
    assert run(["import", str(tmp_path / "absent.csv")]) == 1
