"""Logging to stderr (12-factor); Celery leaves the root logger to this.

Every handler carries the two filters of settings/log_filters.py, so no level set on any logger (DEBUG
included) lets tokens, secrets, SQL parameters or request/response bodies with personal data through.
A handler added here must list them too (tests/settings/test_logging.py checks every handler).
"""

from ..env import env

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FILTERS = ["drop_wire_records", "redact_secrets"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "drop_wire_records": {"()": "settings.log_filters.DropWireRecords"},
        "redact_secrets": {"()": "settings.log_filters.RedactSecrets"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": LOG_FILTERS}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own defaults attach unfiltered handlers here (django.server prints request lines with
        # their query strings): send both through the filtered root handler instead.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        # urllib3 logs full URLs at DEBUG; keep it quiet (the handler filter drops it anyway).
        "urllib3": {"level": "WARNING"},
    },
}
