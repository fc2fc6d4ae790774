"""Real OS processes of the stack: started, killed on purpose, stopped, their logs kept."""

import asyncio
import contextlib
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path

from cli.supervisor import _die_with_parent

VENV_BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"
PILOTFLOW = VENV_BIN / "pilotflow"
LOG_TAIL_CHARS = 3000


@dataclass
class Process:
    """One `pilotflow <command>` child; its output goes to a log file in the run's tmp dir."""

    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    process: asyncio.subprocess.Process | None = None
    starts: int = field(default=0)

    async def start(self) -> None:
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start {self.starts}: pilotflow {' '.join(self.args)}\n".encode())
            log.flush()
            self.process = await asyncio.create_subprocess_exec(
                str(PILOTFLOW),
                *self.args,
                env=self.env,
                cwd=self.log_path.parent,  # no stray .env file is read
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # a Ctrl-C of the test run is not sent to it
                preexec_fn=_die_with_parent,  # nor is it left running if the run dies
            )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def kill(self) -> None:
        """SIGKILL: the crash under test, no chance to clean up."""
        if self.running:
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self, grace: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds."""
        if not self.running:
            return
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), grace)
        except TimeoutError:
            await self.kill()

    async def run_once(self, seconds: float = 120.0) -> int:
        """Run a one-shot command to its end; its exit code."""
        await self.start()
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), seconds)

    def tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace")
        return text[-chars:]


def clean_environment() -> dict[str, str]:
    """This process's environment without any PILOTFLOW_* setting of the developer's."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PILOTFLOW_")}
