"""Logging set-up: readable text by default, one JSON object per line with LOG_FORMAT=json.

Secrets must never reach a log line, whichever library wrote it (aiohttp's access log prints paths,
httpx logs URLs, a traceback may quote a header). So redaction is a filter on the handler — the
last place every record passes — rather than a rule each call site has to remember.

Structured fields are passed as ``extra={...}`` (``log.info("job finished", extra={"kind": …})``):
in JSON they are keys of the object, in text they follow the message as ``key=value`` (quoted when
they hold a space), so both formats carry the same fields.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

# Token shapes worth masking even when we were never told the exact value.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"xox[abprse]-[A-Za-z0-9-]+"), "xox*-***"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1***"),
    (re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), "***jwt***"),
    (re.compile(r"(/bexio/webhook/)[^\s/?\"']+"), r"\1***"),
    (re.compile(r"(?i)((?:refresh_token|access_token|client_secret|code)=)[^&\s\"']+"), r"\1***"),
)

_secrets: set[str] = set()
_STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}
"""Attributes every LogRecord has; any other attribute is a field given with ``extra=``."""


def fields_of(record: logging.LogRecord) -> dict[str, object]:
    """The structured fields of a record (what was passed as ``extra=``), in the order given."""
    return {
        key: value for key, value in vars(record).items() if key not in _STANDARD and not key.startswith("_")
    }


def register_secret(*values: str | None) -> None:
    """Mask these exact values in every later log line (signing secret, webhook secret, keys)."""
    for value in values:
        if value and len(value) >= 6:
            _secrets.add(value)


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "***")
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Renders the message once, redacts it and freezes it so formatters cannot re-insert args."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for key, value in fields_of(record).items():
            if isinstance(value, str):
                setattr(record, key, redact(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in fields_of(record).items():
            payload[key] = value if isinstance(value, str | int | float | bool | None) else str(value)
        if record.exc_text:
            payload["exception"] = record.exc_text
        return json.dumps(payload, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The readable format, with a record's structured fields after the message as ``key=value``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        fields = fields_of(record)
        if not fields:
            return line
        return line + "".join(
            f" {key}={_text_value(value)}" for key, value in fields.items() if value is not None
        )


def _text_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if not text or any(ch.isspace() or ch in '"=' for ch in text):
        return json.dumps(text, ensure_ascii=False)
    return text


def configure_logging(
    log_format: str = "text", *, level: int = logging.INFO, secrets: Iterable[str] = ()
) -> None:
    register_secret(*secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO; keep it for debugging only.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("slack_bolt").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
