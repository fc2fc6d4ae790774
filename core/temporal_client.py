"""The one factory of Temporal clients: the API, the worker and the CLI connect through it.

Access to the Temporal frontend is admin access (a workflow trusts the actor its Update
carries), so a production frontend asks for mTLS or an API key, as Temporal Cloud does;
every process must then present the same credentials, which is why they all come from here.
Every client converts payloads with pydantic, so a `date` crosses Temporal as a date; what
builds a worker environment or a replayer without this factory takes `DATA_CONVERTER`.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.service import TLSConfig

from core.payloads import DATA_CONVERTER as DATA_CONVERTER
from core.settings import Settings


class TemporalConfigError(ValueError):
    """The Temporal TLS or API-key settings do not make a usable connection."""


@dataclass(frozen=True)
class ConnectOptions:
    """What every Temporal client of pilotflow is connected with (no secret in its repr)."""

    target_host: str
    namespace: str
    tls: TLSConfig | bool
    api_key: str | None

    def __repr__(self) -> str:
        key = "set" if self.api_key else "unset"
        where = f"{self.target_host!r}, {self.namespace!r}"
        return f"ConnectOptions({where}, tls={self.tls_kind}, api_key={key})"

    @property
    def tls_kind(self) -> str:
        if isinstance(self.tls, TLSConfig):
            return "mtls" if self.tls.client_cert else "tls"
        return "tls" if self.tls else "plain"


def _read(path: Path | None, setting: str) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as error:
        raise TemporalConfigError(f"PILOTFLOW_{setting}: cannot read {path}: {error}") from None


def connect_options(settings: Settings) -> ConnectOptions:
    """The address, namespace, TLS and API key the settings ask for; refuses half a pair."""
    cert = _read(settings.temporal_tls_cert, "TEMPORAL_TLS_CERT")
    key = _read(settings.temporal_tls_key, "TEMPORAL_TLS_KEY")
    ca = _read(settings.temporal_tls_ca, "TEMPORAL_TLS_CA")
    if (cert is None) != (key is None):
        raise TemporalConfigError(
            "PILOTFLOW_TEMPORAL_TLS_CERT and PILOTFLOW_TEMPORAL_TLS_KEY go together: set both"
        )
    # An empty variable (`PILOTFLOW_TEMPORAL_API_KEY=` in a Compose file) means no key.
    secret = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else ""
    api_key = secret or None
    tls: TLSConfig | bool
    if cert or ca or settings.temporal_tls_server_name:
        tls = TLSConfig(
            server_root_ca_cert=ca,
            client_cert=cert,
            client_private_key=key,
            domain=settings.temporal_tls_server_name,
        )
    else:
        # An API key travels in a header: never send it in clear text.
        tls = api_key is not None
    return ConnectOptions(settings.temporal_address, settings.temporal_namespace, tls, api_key)


async def connect(settings: Settings, **overrides: Any) -> Client:
    """A client of the configured Temporal frontend; `overrides` go to `Client.connect`."""
    options = connect_options(settings)
    return await Client.connect(
        options.target_host,
        namespace=options.namespace,
        tls=options.tls,
        api_key=options.api_key,
        data_converter=DATA_CONVERTER,
        **overrides,
    )
