"""Logging, configured in one place for every `pilotflow` command.

Production writes JSON lines (one object per line: time, level, logger, event, and the
request id and pilot id where there are some); development writes readable text. Every
line, ours or a library's (uvicorn's access log, Temporal's, SQLAlchemy's), goes through
`redact` first: no password, token, signed link or SQL parameter reaches a log.
"""

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from contextvars import ContextVar
from typing import Any

import structlog
from structlog.typing import EventDict, Processor

from core.settings import Settings

# The request being served, set by the API's middleware (service/request_context.py).
request_id: ContextVar[str | None] = ContextVar("pilotflow_request_id", default=None)
pilot_id: ContextVar[str | None] = ContextVar("pilotflow_pilot_id", default=None)

REDACTED = "[redacted]"
# Keys whose value is a secret wherever it appears in a structured line.
SECRET_KEYS = frozenset(
    {"password", "new_password", "token", "access_token", "secret", "secret_key",
     "authorization", "api_key", "cookie", "set-cookie", "parameters", "params"}
)  # fmt: skip
# Paths whose last segment is a signed token, and query parameters that carry secrets.
_SIGNED_LINKS = "unsubscribe|password|set-password|reset-password|password-reset|invitation|invite"
_SECRET_PARAMETERS = "token|signature|sig|key|api_key|password|secret|code"
# Secrets inside free text: a signed link's last segment, a bearer token, a secret query
# parameter, a password in a URL or a `password=...` pair, a JWT, and the parameters
# SQLAlchemy appends to its errors.
_TEXT_SECRETS: tuple[tuple[re.Pattern[str], str], ...] = (
    # `/password/forgot` is the form that asks for a link, not a link: it stays readable.
    (re.compile(rf"(/(?:{_SIGNED_LINKS})/)(?!forgot\b)[^\s\"'?#]+", re.I), rf"\1{REDACTED}"),
    (re.compile(r"(\bbearer\s+)[^\s\"',]+", re.I), rf"\1{REDACTED}"),
    (re.compile(rf"([?&;](?:{_SECRET_PARAMETERS})=)[^&\s\"'#]+", re.I), rf"\1{REDACTED}"),
    (re.compile(r"(://[^/\s:@]+:)[^@\s/]+(@)"), rf"\1{REDACTED}\2"),
    (re.compile(r"\[parameters: .*?\](?=\s*(?:\(|$))", re.S), f"[parameters: {REDACTED}]"),
    (re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+"), REDACTED),
    (
        re.compile(r"((?:password|secret|token|api_key)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+", re.I),
        rf"\1{REDACTED}",
    ),
)


def redact_text(text: str) -> str:
    """`text` with every secret it may hold replaced by a marker."""
    for pattern, replacement in _TEXT_SECRETS:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(key: str, value: Any) -> Any:
    if key.lower() in SECRET_KEYS and value is not None:
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, MutableMapping):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_value(key, item) for item in value]
    return value


def redact(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """The one place secrets leave a log line: every field, the message and tracebacks."""
    for key, value in list(event_dict.items()):
        if not key.startswith("_"):
            event_dict[key] = _redact_value(key, value)
    return event_dict


def add_context(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """The request id and the pilot id: of the request, or of the Temporal task running."""
    if (current := request_id.get()) is not None:
        event_dict.setdefault("request_id", current)
    workflow_id = _temporal_workflow_id(event_dict.get("_record"))
    if workflow_id and workflow_id.startswith("pilot-"):
        event_dict.setdefault("pilot_id", workflow_id.removeprefix("pilot-"))
    elif (current := pilot_id.get()) is not None:
        event_dict.setdefault("pilot_id", current)
    return event_dict


def _temporal_workflow_id(record: logging.LogRecord | None) -> str | None:
    # The SDK's activity and workflow loggers put their info on the record; other loggers
    # called from inside an activity find it through activity.info().
    for attribute in ("temporal_activity", "temporal_workflow"):
        info = getattr(record, attribute, None)
        if isinstance(info, dict) and info.get("workflow_id"):
            return str(info["workflow_id"])
    from temporalio import activity

    if activity.in_activity():
        return activity.info().workflow_id
    return None


def _pre_chain() -> list[Processor]:
    """What every line gets, ours (structlog) or a library's (stdlib logging)."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_context,
    ]


def configure_logging(settings: Settings, *, level: str | None = None) -> None:
    """Send every logger's lines to stderr, as JSON in production and text in development."""
    renderer: Processor
    if settings.environment == "development":
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    else:
        renderer = structlog.processors.JSONRenderer()
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_pre_chain(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact,  # last before rendering: it sees the message, fields and traceback
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((level or settings.log_level).upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "temporalio"):
        library = logging.getLogger(name)
        library.handlers[:] = []
        library.propagate = True
    # SQLAlchemy logs statements with their parameters at INFO, and the SMTP sink (aiosmtpd's
    # "mail.log") every command with its addresses: never let those through.
    _at_least(
        ("sqlalchemy.engine", "sqlalchemy.pool", "aiosqlite", "asyncio", "mail.log"),
        logging.WARNING,
    )
    structlog.configure(
        processors=[*_pre_chain(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    _temporal_info_as_fields()


def _at_least(names: Iterable[str], level: int) -> None:
    for name in names:
        logging.getLogger(name).setLevel(level)


def _temporal_info_as_fields() -> None:
    # `add_context` reads the pilot id from the record: no need to repeat the info dict.
    from temporalio import activity, workflow

    activity.logger.activity_info_on_message = False
    workflow.logger.workflow_info_on_message = False
