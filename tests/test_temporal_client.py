"""The one Temporal client factory: plain, TLS, mTLS and API key, tested against real servers.

The dev server serves no TLS (`temporal server start-dev --help` has no TLS option), so the
mTLS case goes through a TLS front that requires a client certificate and passes the bytes
on to the dev server: the client really presents its certificate and checks the server's.
"""

import asyncio
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from temporalio.service import TLSConfig
from temporalio.testing import WorkflowEnvironment

from core import temporal_client
from core.settings import Settings
from core.temporal_client import TemporalConfigError, connect_options
from service.temporal import TemporalConnector
from tests.support.tls import Authority, mutual_tls_front
from tests.test_cli import PROJECT_ROOT, pilotflow_env

API_KEY = "tcloud-api-key-5b7e"


def settings(**values: object) -> Settings:
    return Settings.model_validate({"temporal_address": "127.0.0.1:7233", **values})


def test_plain_by_default() -> None:
    for plain in (settings(), settings(temporal_api_key="")):
        options = connect_options(plain)
        assert (options.tls, options.api_key) == (False, None)


def test_an_api_key_is_never_sent_in_clear_text_nor_shown() -> None:
    options = connect_options(settings(temporal_api_key=API_KEY))
    assert options.tls is True and options.api_key == API_KEY
    assert API_KEY not in repr(options) and API_KEY not in repr(settings(temporal_api_key=API_KEY))


def test_mtls_files_are_read_and_must_come_in_pairs(tmp_path: Path) -> None:
    authority = Authority(tmp_path)
    client = authority.issue("worker", server=False)
    options = connect_options(
        settings(
            temporal_tls_cert=client.cert,
            temporal_tls_key=client.key,
            temporal_tls_ca=authority.ca.cert,
            temporal_tls_server_name="temporal.internal",
        )
    )
    assert isinstance(options.tls, TLSConfig)
    assert options.tls.client_cert == client.cert.read_bytes()
    assert options.tls.client_private_key == client.key.read_bytes()
    assert options.tls.server_root_ca_cert == authority.ca.cert.read_bytes()
    assert options.tls.domain == "temporal.internal"
    assert options.tls_kind == "mtls"
    with pytest.raises(TemporalConfigError, match="TLS_CERT and PILOTFLOW_TEMPORAL_TLS_KEY"):
        connect_options(settings(temporal_tls_cert=client.cert))
    with pytest.raises(TemporalConfigError, match="PILOTFLOW_TEMPORAL_TLS_CA"):
        connect_options(settings(temporal_tls_ca=tmp_path / "missing.pem"))


async def test_a_plain_connection_through_the_factory(dev_env: WorkflowEnvironment) -> None:
    address = dev_env.client.service_client.config.target_host
    client = await temporal_client.connect(settings(temporal_address=address))
    assert await client.service_client.check_health(timeout=timedelta(seconds=5))
    # Its payloads carry a date as the ISO string, read back as a date.
    converter = client.data_converter.payload_converter
    [payload] = converter.to_payloads([date(2027, 3, 1)])
    assert payload.data == b'"2027-03-01"'
    assert converter.from_payloads([payload], [date]) == [date(2027, 3, 1)]
    # The API's connector goes through the same factory.
    connector = TemporalConnector(settings(temporal_address=address))
    assert await connector.healthy()


async def test_mutual_tls_and_api_key_through_a_tls_front(
    tmp_path: Path, dev_env: WorkflowEnvironment
) -> None:
    authority = Authority(tmp_path)
    worker = authority.issue("pilotflow-worker", server=False)
    upstream = dev_env.client.service_client.config.target_host
    async with mutual_tls_front(authority, upstream) as front:
        configured = settings(
            temporal_address=f"127.0.0.1:{front.port}",
            temporal_tls_cert=worker.cert,
            temporal_tls_key=worker.key,
            temporal_tls_ca=authority.ca.cert,
            temporal_tls_server_name="localhost",
            temporal_api_key=API_KEY,
        )
        client = await temporal_client.connect(configured)
        assert await client.service_client.check_health(timeout=timedelta(seconds=5))
        assert "pilotflow-worker" in front.clients
        # Without its certificate, or trusting another CA, a client does not get in.
        (tmp_path / "other").mkdir()
        stranger = Authority(tmp_path / "other")
        for refused in (
            configured.model_copy(update={"temporal_tls_cert": None, "temporal_tls_key": None}),
            configured.model_copy(update={"temporal_tls_ca": stranger.ca.cert}),
        ):
            with pytest.raises(Exception):  # noqa: B017 - the SDK raises RuntimeError or RPCError
                await asyncio.wait_for(
                    temporal_client.connect(refused, connect_timeout=timedelta(seconds=3)), 10
                )


@pytest.mark.parametrize("command", ["api", "worker"])
def test_a_process_refuses_to_start_on_half_a_certificate(tmp_path: Path, command: str) -> None:
    cert = Authority(tmp_path).issue("worker", server=False).cert
    env = pilotflow_env(tmp_path, temporal_tls_cert=str(cert))
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", command],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert f"pilotflow {command}: PILOTFLOW_TEMPORAL_TLS_CERT and PILOTFLOW_TEMPORAL_TLS_KEY" in (
        done.stderr.decode()
    )
