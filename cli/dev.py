"""`pilotflow dev`: the whole embedded stack on one machine, in start-up order."""

import asyncio
import os
import sys
import time

from cli import demo_region
from cli.seed import is_seeded
from cli.supervisor import ChildExited, StopRequested, Supervisor
from cli.temporal_server import wait_until_ready
from core.settings import Settings


def pilotflow(*args: str) -> list[str]:
    """A `pilotflow` subcommand run by this very Python, whatever is on PATH."""
    return [sys.executable, "-m", "cli.main", *args]


async def wait_for_port(host: str, port: int, *, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            _, writer = await asyncio.open_connection(host, port)
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"nothing listens on {host}:{port} after {seconds:.0f}s"
                ) from None
            await asyncio.sleep(0.2)
            continue
        writer.close()
        await writer.wait_closed()
        return


async def run_dev(settings: Settings, *, seed: bool) -> int:
    """Start everything, wait for Ctrl-C/SIGTERM or a child's death, then stop it all.

    0 after a requested stop; 1 if a step failed or a child died on its own.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # The children inherit it: the development secrets are fine on a developer's machine.
    os.environ["PILOTFLOW_ENVIRONMENT"] = "development"
    # Beyond the children's own grace, so a stop lets the work in flight finish.
    grace = max(settings.api_shutdown_grace_seconds, settings.worker_shutdown_grace_seconds)
    supervisor = Supervisor(stop_timeout=grace + 5)
    supervisor.install_signal_handlers()
    try:
        await _start_stack(supervisor, settings, seed=seed)
        await supervisor.guard(asyncio.Event().wait())  # until a stop or a death
        return 0
    except StopRequested:
        return 0
    except ChildExited as death:
        supervisor.say("dev", f"{death}: stopping the rest")
        return 1
    except Exception as error:
        supervisor.say("dev", f"start-up failed: {type(error).__name__}: {error}")
        return 1
    finally:
        await supervisor.stop_all()
        supervisor.say("dev", "stopped")


async def _start_stack(supervisor: Supervisor, settings: Settings, *, seed: bool) -> None:
    say = supervisor.say
    say("dev", f"data directory {settings.data_dir}")
    await supervisor.start("temporal", pilotflow("server"))
    await supervisor.guard(wait_until_ready(settings))
    say("dev", f"Temporal answers at {settings.temporal_address}")

    if await supervisor.run_once("migrate", pilotflow("migrate")) != 0:
        raise RuntimeError("migrations failed")

    if settings.embedded_smtp_sink:
        await supervisor.start("smtp", pilotflow("smtp-sink"))
        await supervisor.guard(wait_for_port("127.0.0.1", settings.smtp_port))
    else:
        say("dev", f"sending email to {settings.smtp_host}:{settings.smtp_port}")

    await supervisor.start("worker", pilotflow("worker"))
    await supervisor.start("api", pilotflow("api"))
    await supervisor.guard(wait_for_port(_connect_host(settings.api_host), settings.api_port))

    if seed and not is_seeded(settings):
        say("dev", "first start: seeding the demo region")
        if await supervisor.run_once("seed", pilotflow("seed", "--quiet")) != 0:
            say("dev", "the demo seed did not complete (see above); the stack runs anyway")
    print(banner(settings), flush=True)


def _connect_host(bind_host: str) -> str:
    return "127.0.0.1" if bind_host in ("0.0.0.0", "", "::") else bind_host


def banner(settings: Settings) -> str:
    api = settings.effective_public_url
    ui = settings.effective_temporal_ui_url
    lines = [
        "",
        "pilotflow is running. Ctrl-C stops it all.",
        f"  Web pages       {api}",
        f"  API             {api}/api/v1",
        f"  API docs        {api}/docs",
        f"  Temporal Web UI {ui}/namespaces/{settings.temporal_namespace}/workflows",
        f"  Temporal gRPC   {settings.temporal_address}",
    ]
    if settings.embedded_smtp_sink:
        lines.append(
            f"  SMTP sink       127.0.0.1:{settings.smtp_port}, "
            f"mailbox {settings.data_dir / 'mailbox'}"
        )
    lines.append(f"  Data directory  {settings.data_dir}")
    seeded = is_seeded(settings)
    lines += ["", "Sign in as (role, email, password):"]
    lines.append(demo_region.credentials(settings, demo=seeded).text())
    if seeded:
        lines += [
            "",
            "Pilots of the demo, by stage:",
            f"  .venv/bin/temporal workflow list{_temporal_cli_flags(settings)}"
            " --query \"PilotStage='submitted'\"",
        ]
    return "\n".join(lines) + "\n"


def _temporal_cli_flags(settings: Settings) -> str:
    flags = ""
    if settings.temporal_address != "127.0.0.1:7233":
        flags += f" --address {settings.temporal_address}"
    if settings.temporal_namespace != "default":
        flags += f" --namespace {settings.temporal_namespace}"
    return flags
