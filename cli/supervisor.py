"""Child processes with prefixed output, stopped in reverse order: terminate, wait, kill."""

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TextIO, TypeVar

T = TypeVar("T")

_COLOURS = ("36", "35", "33", "32", "34", "31", "96")


class ChildExited(RuntimeError):
    """A long-running child stopped on its own."""

    def __init__(self, name: str, returncode: int | None) -> None:
        super().__init__(f"{name} exited with code {returncode}")
        self.name, self.returncode = name, returncode


class StopRequested(Exception):
    """Ctrl-C or SIGTERM: stop everything cleanly."""


@dataclass
class Child:
    name: str
    process: asyncio.subprocess.Process
    pump: asyncio.Task[None]
    one_shot: bool = False


_LIBC = ctypes.CDLL(None) if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if the supervisor dies without cleaning up."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervisor:
    def __init__(self, out: TextIO = sys.stdout, *, stop_timeout: float = 10.0) -> None:
        self.out = out
        self.stop_timeout = stop_timeout
        self.children: list[Child] = []
        self.stop_requested = asyncio.Event()
        self._colour = out.isatty()

    def say(self, name: str, line: str) -> None:
        prefix = f"{name:<8}|"
        if self._colour:
            colour = _COLOURS[sum(map(ord, name)) % len(_COLOURS)]
            prefix = f"\x1b[{colour}m{prefix}\x1b[0m"
        self.out.write(f"{prefix} {line}\n")
        self.out.flush()

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, self.stop_requested.set)

    async def start(self, name: str, argv: list[str], *, one_shot: bool = False) -> Child:
        """Start `argv` in its own process group (Ctrl-C reaches only us; we stop it in order)."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent,
            limit=1 << 20,
        )
        child = Child(name, process, asyncio.create_task(self._pump(name, process)), one_shot)
        self.children.append(child)
        return child

    async def _pump(self, name: str, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            self.say(name, line.decode(errors="replace").rstrip())

    async def run_once(self, name: str, argv: list[str]) -> int:
        """Run a one-shot command to its end, its output prefixed; its exit code."""
        child = await self.start(name, argv, one_shot=True)
        returncode = await self.guard(child.process.wait())
        await child.pump
        self.children.remove(child)
        return returncode

    async def guard(self, awaitable: Awaitable[T]) -> T:
        """Await, unless a stop is requested (StopRequested) or a child dies (ChildExited)."""
        work = asyncio.ensure_future(awaitable)
        stop = asyncio.create_task(self.stop_requested.wait())
        deaths = [asyncio.create_task(c.process.wait()) for c in self.children if not c.one_shot]
        watched: set[asyncio.Future[Any]] = {work, stop, *deaths}
        try:
            await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (stop, *deaths):
                task.cancel()
        if self.stop_requested.is_set():
            work.cancel()
            raise StopRequested
        for child in self.children:
            if not child.one_shot and child.process.returncode is not None:
                work.cancel()
                raise ChildExited(child.name, child.process.returncode)
        return work.result()

    async def stop_all(self) -> None:
        """Stop every child, the last started first: SIGTERM, wait, then SIGKILL."""
        for child in reversed(self.children):
            await self._stop(child)
        self.children.clear()

    async def _stop(self, child: Child) -> None:
        if child.process.returncode is None:
            self.say(child.name, "stopping")
            self._signal(child, signal.SIGTERM)
            try:
                await asyncio.wait_for(child.process.wait(), self.stop_timeout)
            except TimeoutError:
                self.say(child.name, f"still running after {self.stop_timeout:.0f}s: killing")
                self._signal(child, signal.SIGKILL)
                await child.process.wait()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(child.pump, 2)

    @staticmethod
    def _signal(child: Child, signum: int) -> None:
        # The whole group: anything the child started goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.process.pid, signum)
