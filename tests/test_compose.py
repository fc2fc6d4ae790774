"""docker-compose.yml: valid against the Compose Specification, and consistent with the code.

No Docker engine runs here, so this checks what can be checked offline: the file's shape,
the commands and settings it relies on, and the Dockerfile it builds.
"""

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft201909Validator

from cli.main import build_parser
from cli.temporal_server import SEARCH_ATTRIBUTES
from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = Path(__file__).resolve().parent / "compose" / "compose_spec.json"
# The settings SPEC.md names as the ones operators rely on.
OPERATOR_SETTINGS = {
    "DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "SMTP_HOST", "SMTP_PORT",
    "SMTP_FROM", "ADMIN_EMAIL", "ADMIN_PASSWORD", "API_HOST", "API_PORT", "DAY_SECONDS",
}  # fmt: skip
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?::(?P<op>[-?])(?P<arg>[^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def interpolate(value: str) -> str:
    """Compose's `${VAR:-default}` with nothing set: the default, or a stand-in if required."""

    def replace(match: re.Match[str]) -> str:
        return match["arg"] if match["op"] == "-" else f"required-{match['name'].lower()}"

    return INTERPOLATION.sub(replace, value)


def pilotflow_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in services.items()
        if any(key.startswith("PILOTFLOW_") for key in service.get("environment", {}))
    }


def compose_validator() -> Draft201909Validator:
    # The file names its draft by a URI jsonschema does not know; the draft is 2019-09.
    schema = json.loads(SCHEMA.read_text())
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema)


def test_the_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    errors = sorted(compose_validator().iter_errors(compose), key=lambda e: e.json_path)
    assert not errors, "\n".join(f"{e.json_path}: {e.message}" for e in errors)


def test_the_schema_does_refuse_a_wrong_file(compose: dict[str, Any]) -> None:
    broken = {**compose, "services": {"api": {"image": "x", "replicas": 2}}}
    assert not compose_validator().is_valid(broken)
    bad_condition = {"services": {"api": {"depends_on": {"db": {"condition": "when_ready"}}}}}
    assert not compose_validator().is_valid(bad_condition)


def test_the_deployment_has_every_part_of_spec(services: dict[str, dict[str, Any]]) -> None:
    images = {name: s.get("image", "") for name, s in services.items()}
    assert images["temporal"].startswith("temporalio/auto-setup:")
    assert images["temporal-ui"].startswith("temporalio/ui:")
    assert images["temporal-admin-tools"].startswith("temporalio/admin-tools:")
    assert images["postgres"].startswith("postgres:")
    assert images["mailpit"].startswith("axllent/mailpit:")
    assert images["redis"].startswith("redis:")
    for name in ("api", "worker"):
        assert services[name]["build"] == "."
        assert services[name]["deploy"]["replicas"] >= 2, f"{name} runs as replicas"


def test_third_party_images_are_pinned(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if "build" in service:
            continue
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name} pins {image}"


def test_each_pilotflow_service_runs_a_real_subcommand(
    services: dict[str, dict[str, Any]],
) -> None:
    parser = build_parser()
    commands = {name: s["command"] for name, s in pilotflow_services(services).items()}
    assert {"api", "worker", "migrate"} <= set(commands)
    for name, command in commands.items():
        assert command[0] == "pilotflow", name
        parser.parse_args(command[1:])  # exits (fails the test) on an unknown subcommand


def test_pilotflow_environment_is_made_of_real_settings(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in pilotflow_services(services).items():
        environment = service["environment"]
        keys = {key.removeprefix("PILOTFLOW_") for key in environment}
        assert keys >= OPERATOR_SETTINGS, f"{name} misses {OPERATOR_SETTINGS - keys}"
        unknown = {k for k in keys if k.lower() not in Settings.model_fields}
        assert not unknown, f"{name} sets settings that do not exist: {unknown}"
        values = {k.removeprefix("PILOTFLOW_").lower(): interpolate(str(v))
                  for k, v in environment.items()}  # fmt: skip
        settings = Settings.model_validate(values)
        assert settings.effective_database_url.startswith("postgresql+asyncpg://")
        assert not settings.embedded_smtp_sink
        host, port = settings.temporal_address.rsplit(":", 1)
        assert host in services and port == "7233"
        assert settings.smtp_host in services


def test_api_port_health_and_published_port_agree(services: dict[str, dict[str, Any]]) -> None:
    api = services["api"]
    port = api["environment"]["PILOTFLOW_API_PORT"]
    assert api["environment"]["PILOTFLOW_API_HOST"] == "0.0.0.0"
    assert all(str(mapping).endswith(f":{port}") for mapping in api["ports"])
    assert f"127.0.0.1:{port}/healthz" in " ".join(api["healthcheck"]["test"])


def test_dependencies_wait_for_the_right_condition(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on with conditions"
        for other, rule in depends_on.items():
            assert other in services, f"{name} depends on unknown {other}"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[other], f"{other} has no healthcheck"
            if rule["condition"] == "service_completed_successfully":
                assert services[other]["restart"] == "no", f"{other} is a one-shot"
    for name in ("api", "worker"):
        waits_for = services[name]["depends_on"]
        assert waits_for["migrate"]["condition"] == "service_completed_successfully"
        assert waits_for["temporal-admin-tools"]["condition"] == "service_completed_successfully"


def test_admin_tools_register_the_search_attributes(services: dict[str, dict[str, Any]]) -> None:
    command = services["temporal-admin-tools"]["command"]
    assert command[:4] == ["temporal", "operator", "search-attribute", "create"]
    names = [command[i + 1] for i, arg in enumerate(command) if arg == "--name"]
    kinds = [command[i + 1] for i, arg in enumerate(command) if arg == "--type"]
    assert dict(zip(names, kinds, strict=True)) == SEARCH_ATTRIBUTES


def test_the_dockerfile_builds_what_the_services_run() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.MULTILINE)
    copied = set(re.findall(r"^COPY (\S+) ", dockerfile, re.MULTILINE))
    for package in ("core", "workflows", "activities", "service", "cli"):
        assert package in copied, f"the image lacks the {package} package"
    for data in ("migrations", "templates", "locales", "static", "reference"):
        assert data in copied, f"the image lacks {data}/"
    assert "pip install" in dockerfile
    assert 'CMD ["pilotflow", "api"]' in dockerfile


# --- deployment exposure (issue 7) ----------------------------------------------------------

# Values that must come from the operator's environment, with no default in the file.
SECRET_VARIABLES = {
    "PILOTFLOW_SECRET_KEY", "PILOTFLOW_ADMIN_PASSWORD", "PILOTFLOW_DB_PASSWORD",
    "TEMPORAL_DB_PASSWORD",
}  # fmt: skip


def published(service: dict[str, Any]) -> list[tuple[str | None, str]]:
    """Each published port as (host address or None for every interface, the rest)."""
    result: list[tuple[str | None, str]] = []
    for mapping in service.get("ports", []):
        if isinstance(mapping, dict):
            result.append((mapping.get("host_ip"), str(mapping.get("published", ""))))
            continue
        text = interpolate(str(mapping))
        parts = text.split(":")
        result.append((parts[0], ":".join(parts[1:])) if len(parts) == 3 else (None, text))
    return result


def test_only_the_api_is_published_to_the_network(services: dict[str, dict[str, Any]]) -> None:
    open_to_all = {
        name for name, s in services.items() if any(ip is None for ip, _ in published(s))
    }
    assert open_to_all == {"api"}
    for name in ("temporal", "temporal-ui", "mailpit"):
        addresses = {ip for ip, _ in published(services[name])}
        assert addresses <= {"127.0.0.1"}, f"{name} listens on {addresses}"
    for name in ("postgres", "temporal-postgresql", "redis", "worker", "migrate"):
        assert not services[name].get("ports"), f"{name} publishes nothing"


def test_the_temporal_web_ui_is_read_only(services: dict[str, dict[str, Any]]) -> None:
    assert services["temporal-ui"]["environment"]["TEMPORAL_DISABLE_WRITE_ACTIONS"] == "true"


def test_pilotflow_runs_in_production(services: dict[str, dict[str, Any]]) -> None:
    for name, service in pilotflow_services(services).items():
        assert service["environment"]["PILOTFLOW_ENVIRONMENT"] == "production", name
        values = {k.removeprefix("PILOTFLOW_").lower(): interpolate(str(v))
                  for k, v in service["environment"].items()}  # fmt: skip
        assert Settings.model_validate(values).environment == "production"


def test_secrets_come_from_the_environment_only() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    used = {match["name"]: match for match in INTERPOLATION.finditer(text)}
    for name in SECRET_VARIABLES:
        uses = [m for m in INTERPOLATION.finditer(text) if m["name"] == name]
        assert uses, f"{name} is not read from the environment"
        assert all(m["op"] == "?" for m in uses), f"{name} has a default in the file"
    assert used, "the file reads its settings from the environment"
    for line in text.splitlines():
        key, _, value = line.strip().partition(":")
        if re.search(r"PASSWORD|SECRET|_KEY$", key) and "${" not in value:
            assert value.strip() in ("", '"1"'), f"a literal secret: {line.strip()}"


def test_api_replicas_count_sign_in_failures_together(services: dict[str, dict[str, Any]]) -> None:
    # Without one shared store each replica would allow its own ten guesses.
    environment = services["api"]["environment"]
    assert environment["PILOTFLOW_REDIS_URL"].startswith("redis://redis:")
    assert services["api"]["depends_on"]["redis"]["condition"] == "service_healthy"


# --- graceful stop (issue 8) ----------------------------------------------------------------

DURATION = re.compile(r"(?P<amount>\d+(?:\.\d+)?)(?P<unit>h|ms|m|s|us)")
UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 0.000001}
# Beyond its grace period a process still shuts down: the lifespan, the database, the logs.
STOP_MARGIN_SECONDS = 5.0


def compose_seconds(duration: str) -> float:
    """A Compose duration (`1m30s`, `45s`) in seconds."""
    parts = list(DURATION.finditer(duration))
    assert parts and "".join(p[0] for p in parts) == duration, f"not a duration: {duration!r}"
    return sum(float(p["amount"]) * UNIT_SECONDS[p["unit"]] for p in parts)


def test_compose_durations_are_read_as_compose_reads_them() -> None:
    assert compose_seconds("45s") == 45
    assert compose_seconds("1m30s") == 90
    assert compose_seconds("1h") == 3600
    with pytest.raises(AssertionError):
        compose_seconds("45")


@pytest.mark.parametrize(
    ("service", "setting"),
    [("api", "api_shutdown_grace_seconds"), ("worker", "worker_shutdown_grace_seconds")],
)
def test_docker_waits_longer_than_the_grace_period(
    services: dict[str, dict[str, Any]], service: str, setting: str
) -> None:
    """Docker's SIGKILL (10 s after SIGTERM unless told) must not cut the graceful stop short."""
    environment = services[service]["environment"]
    values = {k.removeprefix("PILOTFLOW_").lower(): interpolate(str(v))
              for k, v in environment.items()}  # fmt: skip
    assert f"PILOTFLOW_{setting.upper()}" in environment, f"{service} sets its grace period"
    grace = getattr(Settings.model_validate(values), setting)
    assert grace > 0, f"{service} stops gracefully"
    stop_after = compose_seconds(str(services[service]["stop_grace_period"]))
    assert stop_after >= grace + STOP_MARGIN_SECONDS, f"{service}: {stop_after}s for {grace}s"
