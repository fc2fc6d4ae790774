"""The `pilotflow` command: each process of the stack, and `dev` that runs them all."""

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import traceback
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from core.logs import configure_logging
from core.settings import Settings, get_settings, unsafe_secrets

if TYPE_CHECKING:
    from fastapi import FastAPI

Handler = Callable[[Settings, argparse.Namespace], int | None]


def cmd_server(settings: Settings, args: argparse.Namespace) -> None:
    from cli.temporal_server import run_server

    run_server(settings, log_level=args.log_level)


def refuse_unsafe_secrets(settings: Settings, command: str) -> None:
    """Exit with one line per development secret, unless this is development."""
    problems = unsafe_secrets(settings)
    if problems:
        for line in problems:
            print(f"pilotflow {command}: {line}", file=sys.stderr)
        print(
            f"pilotflow {command}: refusing to start in {settings.environment} "
            "(PILOTFLOW_ENVIRONMENT=development allows the development values)",
            file=sys.stderr,
        )
        raise SystemExit(2)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    from cli.worker import PolledQueues, run_worker

    refuse_unsafe_secrets(settings, "worker")
    check_temporal_settings(settings, "worker")
    run_until_signalled(lambda stop: run_worker(settings, stop, PolledQueues(args.queues)))


def cmd_api(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    refuse_unsafe_secrets(settings, "api")
    check_temporal_settings(settings, "api")

    # uvicorn stops on SIGTERM (no new connections, requests in flight finish within the
    # grace period, then the lifespan closes), and then raises the signal again to die of it
    # (exit 143). A stop that was asked for is a success: this handler turns it into exit 0.
    # With several workers uvicorn's supervisor takes SIGTERM over, stops the workers the same
    # way and returns: exit 0 too.
    signal.signal(signal.SIGTERM, _stopped_on_request)
    # Each worker process is spawned afresh and configures its logging at this level.
    os.environ["PILOTFLOW_LOG_LEVEL"] = args.log_level
    # log_config=None: uvicorn keeps its hands off logging, configured by `api_app`.
    uvicorn.run(
        "cli.main:api_app",
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        workers=args.workers or settings.effective_api_workers,
        log_level=args.log_level,
        log_config=None,
        timeout_graceful_shutdown=settings.api_shutdown_grace_seconds,
    )


def api_app() -> "FastAPI":
    """The app of one API process, logging as `pilotflow api` was told to."""
    from service.main import create_app

    get_settings.cache_clear()  # this process's environment, with the level set above
    settings = get_settings()
    configure_logging(settings)
    return create_app(settings)


def cmd_smtp_sink(settings: Settings, args: argparse.Namespace) -> None:
    try:
        from cli.smtp_sink import run_sink
    except ModuleNotFoundError as missing:  # aiosmtpd is a development dependency
        raise SystemExit(
            f"pilotflow smtp-sink: {missing.name} is not installed; the sink is for development"
            " (`make install` brings it), production sends to PILOTFLOW_SMTP_HOST"
        ) from None

    signal.signal(signal.SIGTERM, _interrupt)  # stop like on Ctrl-C
    run_sink("127.0.0.1", settings.smtp_port, settings.data_dir / "mailbox")


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    from core.bootstrap import ensure_first_admin
    from core.db import create_engine, create_sessionmaker
    from core.migrate import upgrade

    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url)

    async def first_admin() -> None:
        engine = create_engine(settings.effective_database_url)
        try:
            admin = await ensure_first_admin(create_sessionmaker(engine), settings)
        finally:
            await engine.dispose()
        print(f"schema up to date; first admin {admin.email}", flush=True)

    asyncio.run(first_admin())


def cmd_seed(settings: Settings, args: argparse.Namespace) -> int:
    from cli import demo_region
    from cli.seed import seed

    ok = asyncio.run(seed(settings, pilots=not args.reference_only))
    if not args.quiet:
        print("Sign in as (role, email, password):")
        print(demo_region.credentials(settings, demo=True).text())
    return 0 if ok else 1


def cmd_demo_pilot(settings: Settings, args: argparse.Namespace) -> None:
    from cli.seed_pilots import submit_example_pilot
    from service.workflow_history import temporal_ui_url
    from workflows.contracts import workflow_id

    try:
        pilot_id = asyncio.run(submit_example_pilot(settings, args.town))
    except ValueError as error:
        raise SystemExit(f"pilotflow demo-pilot: {error}") from None
    print(f"{workflow_id(pilot_id)} submitted by the officer of {args.town}")
    print(f"watch it: {temporal_ui_url(settings, workflow_id(pilot_id))}")


def cmd_dev(settings: Settings, args: argparse.Namespace) -> int:
    from cli.dev import run_dev

    return asyncio.run(run_dev(settings, seed=settings.seed_demo and not args.no_seed))


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from cli.backup import run_backup

    return run_backup(settings, args.path)


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    from cli.backup import run_restore

    return run_restore(settings, args.path)


def cmd_refresh_towns(settings: Settings, args: argparse.Namespace) -> int:
    from cli.towns import refresh_towns

    return refresh_towns(args.version)


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from cli.imports import run_import

    return run_import(settings, args.file, apply=args.apply)


def check_temporal_settings(settings: Settings, command: str) -> None:
    """Refuse to start, in one line naming the variable, on unusable Temporal TLS settings."""
    from core.temporal_client import TemporalConfigError, connect_options

    try:
        connect_options(settings)
    except TemporalConfigError as error:
        raise SystemExit(f"pilotflow {command}: {error}") from None


def _python_level(level: str | None) -> str | None:
    # `server` takes Temporal's names; "warn" is logging's "warning".
    return {"warn": "warning"}.get(level, level) if level else None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stopped_on_request(signum: int, frame: object) -> None:
    raise SystemExit(0)


def run_until_signalled(main: Callable[[asyncio.Event], Coroutine[Any, Any, None]]) -> None:
    """Run `main(stop)`: SIGINT/SIGTERM set `stop` so it can shut down cleanly; a second
    signal cancels it."""

    async def runner() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(main(stop))

        def on_signal() -> None:
            if stop.is_set():
                task.cancel()
            stop.set()

        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal)
        try:
            await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise

    asyncio.run(runner())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pilotflow",
        description="Run a region's pilot experiments as durable Temporal workflows.",
        epilog="Settings come from PILOTFLOW_* environment variables (see the README).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(handler=handler)
        return sub

    server = add("server", cmd_server, "the Temporal dev server, persisted in the data directory")
    server.add_argument("--log-level", default="error", choices=["debug", "info", "warn", "error"])
    worker = add("worker", cmd_worker, "the Temporal worker: pilot workflows and activities")
    worker.add_argument(
        "--queues",
        default="all",
        choices=["all", "pilots", "email"],
        help="poll both task queues (default), or one: a process for the pilots' email alone",
    )
    api = add("api", cmd_api, "the HTTP service (FastAPI under uvicorn)")
    api.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    api.add_argument(
        "--workers",
        type=int,
        choices=range(1, 65),
        metavar="N",
        help="API processes sharing the port (default: PILOTFLOW_API_WORKERS, see the README)",
    )
    add("smtp-sink", cmd_smtp_sink, "a local SMTP server that keeps each message in the mailbox")
    add("migrate", cmd_migrate, "bring the database schema up to date and create the first admin")
    seed = add("seed", cmd_seed, "seed the demo region (needs the server and a worker for pilots)")
    seed.add_argument("--reference-only", action="store_true", help="towns, companies, users only")
    seed.add_argument("--quiet", action="store_true", help="do not print the demo credentials")
    demo_pilot = add("demo-pilot", cmd_demo_pilot, "submit one example pilot as a demo officer")
    demo_pilot.add_argument("--town", default="Lille", help="a demo town (default: Lille)")
    dev = add("dev", cmd_dev, "start the whole stack on this machine; Ctrl-C stops it")
    dev.add_argument("--no-seed", action="store_true", help="do not seed the demo region")
    backup = add("backup", cmd_backup, "archive the embedded default's two databases, live")
    backup.add_argument("path", type=Path, help="the archive to write (.tar.gz); must not exist")
    restore = add("restore", cmd_restore, "bring a backup back into an empty data directory")
    restore.add_argument("path", type=Path, help="an archive written by `pilotflow backup`")
    towns = add("refresh-towns", cmd_refresh_towns, "rewrite reference/towns-mel.csv from npm")
    towns.add_argument("--version", default="latest", help="of @etalab/decoupage-administratif")
    onboard = add("import", cmd_import, "onboard towns, officers, companies and users from CSV")
    onboard.add_argument(
        "file", type=Path, help="the CSV file (see the README, Onboarding in bulk)"
    )
    onboard.add_argument(
        "--apply", action="store_true", help="import for real (default: a dry run that only checks)"
    )
    return parser


def run(argv: list[str] | None = None) -> int:
    """Run one `pilotflow` command in this process; its exit code."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    if args.command == "dev":
        # The whole stack on one machine is development: readable logs, dev secrets allowed.
        os.environ["PILOTFLOW_ENVIRONMENT"] = "development"
        get_settings.cache_clear()
    settings = get_settings()
    configure_logging(settings, level=_python_level(getattr(args, "log_level", None)))
    try:
        return handler(settings, args) or 0
    except KeyboardInterrupt:
        return 130
    except SystemExit as stop:
        return _exit_code(stop)
    except Exception:
        traceback.print_exc()
        return 1


def _exit_code(stop: SystemExit) -> int:
    """What `sys.exit` makes of it: a message is printed to stderr and means 1."""
    if stop.code is None or isinstance(stop.code, int):
        return stop.code or 0
    print(stop.code, file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> NoReturn:
    """The `pilotflow` console script: run the command, then end the process with its code.

    Not through the interpreter's finalisation: once a process has opened a Temporal client,
    the SDK's Rust core keeps threads that may call into Python while it finalises, which
    aborts it with "Fatal Python error: PyGILState_Release" (exit 134) after the work was
    done: https://github.com/temporalio/sdk-python/issues/300 (open; no client can be
    closed). It hit 17 of 90 runs of `demo-pilot` and 2 of 35 stops of `worker` here. Every
    command has finished (and the long-running ones have shut down gracefully) when `run`
    returns, so flushing stdio and the log handlers is all that is left to do.
    """
    code = run(argv)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed or broken pipe must not change the code
            stream.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    main()
