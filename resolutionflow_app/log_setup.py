"""Logging for every process: one line per record (text, or JSON with RF_LOG_FORMAT=json), secrets redacted."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

_TOKEN_IN_PATH = re.compile(r"(/share/|/shares/by-token/)[^/?#\s\"']+")
# The login redirect of an account-only link carries it URL-encoded: /login?next=%2Fshare%2F<token>
_TOKEN_IN_QUERY = re.compile(r"(%2Fshare%2F)[^&#%\s\"']+", re.IGNORECASE)
_SECRETS = (
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1***"),
    (re.compile(r"(?i)\b(api[_-]?key|password|secret|token|authorization)(\"?\s*[:=]\s*\"?)[^\s\"',&}]+"), r"\1\2***"),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"), "sk-***"),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=_-]{8,}"), "whsec_***"),
)
# Attributes every LogRecord has; anything else passed with `extra=` goes into the JSON line.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def redact(text: str) -> str:
    """The text with share tokens, bearer tokens, API keys, passwords and webhook secrets replaced by `***`."""
    text = _TOKEN_IN_QUERY.sub(r"\1***", _TOKEN_IN_PATH.sub(r"\1***", text))
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's formatted message through `redact` (access logs carry share URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - never break logging
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, extras (run_id, worker, …) and the error."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update(
            {
                k: v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
                for k, v in vars(record).items()
                if k not in _STANDARD
            }
        )
        if record.exc_info:
            out["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False)


REDACTOR = RedactingFilter()
# Loggers whose lines may carry request paths or outbound URLs.
NOISY = (
    "uvicorn.access",
    "uvicorn.error",
    "granian.access",
    "_granian",
    "granian",
    "httpx",
    "reflex",
    "resolutionflow_app",
)


def configure_filters() -> None:
    """Put the redacting filter on the loggers that see request paths and URLs (safe to call often)."""
    for name in NOISY:
        logger = logging.getLogger(name)
        if REDACTOR not in logger.filters:
            logger.addFilter(REDACTOR)


def configure(level: str = "INFO", fmt: str = "text") -> None:
    """Root handler with redaction (idempotent); `fmt` "json" for structured logs."""
    root = logging.getLogger()
    root.setLevel(level)
    handler = next((h for h in root.handlers if getattr(h, "_rf", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler._rf = True  # type: ignore[attr-defined]
        handler.addFilter(REDACTOR)
        root.addHandler(handler)
    handler.setFormatter(
        JsonFormatter() if fmt == "json" else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    configure_filters()
    logging.getLogger("alembic").setLevel(logging.WARNING)
