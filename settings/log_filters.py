"""Logging filters on every handler (settings/topics/logging.py): secrets and personal data never reach a log,
whatever level anyone sets on whichever logger.

Two layers, because neither alone is enough:
- `DropWireRecords` drops records below WARNING from libraries that log what goes over the wire or into
  the database — URLs with query strings (urllib3, requests), SQL with its parameters (django.db.backends:
  contact names and e-mails), headers and bodies (http.client, oauthlib, kombu, amqp). A handler filter
  applies even when someone sets those loggers to DEBUG.
- `RedactSecrets` rewrites every remaining message (and its traceback): the deployment's own secrets,
  bearer tokens, JWTs, `token=`/`code=`/`secret=` pairs, and e-mail addresses.
"""

from __future__ import annotations

import logging
import re

WIRE_LOGGERS = ("urllib3", "requests", "http.client", "xero_python", "django.db.backends", "oauthlib",
                "requests_oauthlib", "kombu", "amqp", "redis", "charset_normalizer")

REDACTED = "[redacted]"
SECRET_SETTINGS = ("SECRET_KEY", "PROCORE_CLIENT_SECRET", "XERO_CLIENT_SECRET", "XERO_WEBHOOK_KEY")
PATTERNS = [
    # Authorization headers: "Bearer <token>", "Basic <credentials>"
    (re.compile(r"(?i)\b(bearer|basic)(\s+|%20)[A-Za-z0-9._~+/=%-]+"), r"\1 " + REDACTED),
    # JWTs (Xero access and id tokens), wherever they appear
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    # OAuth authorization codes and tokens in query strings (request lines, redirect URLs)
    (re.compile(r"(?i)([?&](?:code|access_token|refresh_token|id_token|token|client_secret)=)(?!\[redacted)[^&\s\"']+"),
     r"\1" + REDACTED),
    # key=value / "key": "value" pairs of OAuth and webhook secrets (form bodies, JSON, reprs)
    (re.compile(r"""(?ix)
        (["']?\b(?:access_token|refresh_token|id_token|client_secret|token|secret|password|webhook_secret
                 |authorization|x-xero-signature)\b["']?\s*[:=]\s*["']?)
        (?!\[redacted|bearer\b|basic\b)[^"'&\s,;}\]]+"""), r"\1" + REDACTED),
    # e-mail addresses (people's, in contacts, vendors and admins)
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"), "[e-mail]"),
]


def _is_wire(name: str) -> bool:
    return any(name == wire or name.startswith(wire + ".") for wire in WIRE_LOGGERS)


class DropWireRecords(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not _is_wire(record.name)


def _configured_secrets() -> list[str]:
    try:
        from django.conf import settings

        values = [str(getattr(settings, name, "") or "") for name in SECRET_SETTINGS]
        values += list(getattr(settings, "FIELD_ENCRYPTION_KEYS", []))
    except Exception:  # settings not configured (a bare script): the patterns still apply
        return []
    return [v for v in values if len(v) >= 8]


def redact(text: str) -> str:
    for secret in _configured_secrets():
        text = text.replace(secret, REDACTED)
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = redact(record.getMessage())
        except Exception:  # a bad format string: never let logging print the raw arguments instead
            message = f"[unformattable log message from {record.name}]"
        record.msg, record.args = message, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def protect_handlers(*loggers: logging.Logger) -> None:
    """Give every handler of these loggers both filters (handlers that Celery adds outside LOGGING)."""
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            for kind in (DropWireRecords, RedactSecrets):
                if not any(isinstance(f, kind) for f in handler.filters):
                    handler.addFilter(kind())
