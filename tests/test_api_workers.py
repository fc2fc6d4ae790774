"""`pilotflow api --workers N`: several API processes behind one port, stopped as one."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli import main as cli
from core.settings import Settings
from tests.test_cli import PROJECT_ROOT, free_port, pilotflow_env


def test_one_process_unless_the_sign_in_counters_are_shared() -> None:
    assert Settings(_env_file=None).effective_api_workers == 1
    shared = Settings(_env_file=None, redis_url="redis://127.0.0.1:6379/0")
    assert shared.effective_api_workers == len(os.sched_getaffinity(0))
    assert Settings(_env_file=None, api_workers=3).effective_api_workers == 3


@pytest.mark.parametrize(("argv", "workers"), [([], 2), (["--workers", "5"], 5)])
def test_the_option_overrides_the_setting(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], workers: int
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: calls.append(options))
    monkeypatch.setenv("PILOTFLOW_API_WORKERS", "2")
    monkeypatch.setenv("PILOTFLOW_ENVIRONMENT", "development")
    cli.get_settings.cache_clear()
    try:
        assert cli.run(["api", *argv]) == 0
    finally:
        cli.get_settings.cache_clear()
    assert [call["workers"] for call in calls] == [workers]


def _children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    found = []
    for task in tasks.iterdir():
        children = (task / "children").read_text().split()
        found += [int(child) for child in children]
    return found


def test_two_workers_answer_and_stop_together_with_exit_0(tmp_path: Path) -> None:
    port = free_port()
    env = pilotflow_env(tmp_path, api_port=str(port), api_workers="2")
    command = [sys.executable, "-m", "cli.main"]
    options: dict[str, Any] = {"env": env, "cwd": PROJECT_ROOT}
    subprocess.run([*command, "migrate"], check=True, capture_output=True, timeout=60, **options)
    api = subprocess.Popen([*command, "api"], stderr=subprocess.DEVNULL, **options)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the API never answered"
            time.sleep(0.3)
        # Beside the workers, multiprocessing's resource tracker is a child too.
        workers = [c for c in _children(api.pid) if "spawn_main" in _cmdline(c)]
        assert len(workers) == 2
        api.send_signal(signal.SIGTERM)
        assert api.wait(timeout=60) == 0
        assert all(not Path(f"/proc/{worker}").exists() for worker in workers)
    finally:
        if api.poll() is None:
            api.kill()
            api.wait()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text()
    except FileNotFoundError:
        return ""
