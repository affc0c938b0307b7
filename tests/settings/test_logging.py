"""No log line carries a token, a secret or a contact's name or e-mail, whatever level any logger is set to.

The decisive test runs a real token refresh, hook registration, secret rotation and syncs against the
sandboxes in a fresh process with DEBUG on for every logger (and Django's DEBUG, so SQL is logged too),
and reads what the process wrote to stderr."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from connector.models import Connection, Credential
from settings.log_filters import DropWireRecords, RedactSecrets, redact
from tests.workers import database_url_for_subprocess

ROOT = Path(__file__).resolve().parents[2]


def record(name="connector", level=logging.INFO, msg="%s", args=("x",), exc_info=None):
    return logging.LogRecord(name, level, __file__, 1, msg, args, exc_info)


@pytest.mark.parametrize("name", ["urllib3.connectionpool", "requests", "django.db.backends", "xero_python.rest",
                                  "http.client", "kombu.transport", "oauthlib.oauth2"])
def test_libraries_that_log_the_wire_are_silenced_below_warning(name):
    drop = DropWireRecords()
    assert not drop.filter(record(name=name, level=logging.DEBUG))
    assert not drop.filter(record(name=name, level=logging.INFO))
    assert drop.filter(record(name=name, level=logging.WARNING))
    assert drop.filter(record(name="sync.services", level=logging.DEBUG)), "our own DEBUG lines stay"


@pytest.mark.parametrize("text, secret", [
    ("Authorization: Bearer 0a1b2c3d4e5f6a7b8c9d", "0a1b2c3d4e5f6a7b8c9d"),
    ('{"access_token": "tok-ABC-123", "expires_in": 1800}', "tok-ABC-123"),
    ("grant_type=refresh_token&refresh_token=rt-XYZ-789&client_id=app", "rt-XYZ-789"),
    ('"GET /oauth/xero/callback/?code=c0de-9f8e&state=s HTTP/1.1" 302', "c0de-9f8e"),
    ("token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl expired", "eyJhbGciOiJSUzI1NiJ9"),
    ("sending to ap@westsideroofing.example", "ap@westsideroofing.example"),
])
def test_tokens_codes_and_e_mails_are_redacted(text, secret):
    assert secret not in redact(text)


def test_the_deployments_own_secrets_are_redacted_in_messages_and_tracebacks(settings):
    settings.XERO_CLIENT_SECRET = "Kx7-qP2_vL9mN4rT8wY1zB6cF3hJ0sD5gA"
    try:
        raise RuntimeError(f"identity refused {settings.XERO_CLIENT_SECRET}")
    except RuntimeError:
        rec = record(msg="login with %s failed", args=(settings.XERO_CLIENT_SECRET,), exc_info=sys.exc_info())
    assert RedactSecrets().filter(rec)
    assert settings.XERO_CLIENT_SECRET not in logging.Formatter().format(rec)


HANDLERS_SCRIPT = """
import json, logging, django
django.setup()
from settings.celery_app import app
app.log.setup(loglevel="DEBUG")  # what `celery worker` does at start-up: it adds its own handlers
from settings.log_filters import DropWireRecords, RedactSecrets
loggers = [logging.getLogger()] + [l for l in logging.root.manager.loggerDict.values() if isinstance(l, logging.Logger)]
unfiltered = [f"{l.name}: {h!r}" for l in loggers for h in l.handlers
              if not (any(isinstance(f, DropWireRecords) for f in h.filters)
                      and any(isinstance(f, RedactSecrets) for f in h.filters))
              and not isinstance(h, logging.NullHandler)]
print(json.dumps({"handlers": sum(len(l.handlers) for l in loggers), "unfiltered": unfiltered}))
"""


def test_every_handler_of_django_and_a_celery_worker_carries_both_filters(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test", "DEBUG": "true", "LOG_LEVEL": "DEBUG",
           "VAR_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", HANDLERS_SCRIPT], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["handlers"] >= 2 and found["unfiltered"] == []


SYNC_SCRIPT = r"""
import json, logging, sys
import django
django.setup()
import http.client, requests, urllib3, xero_python.rest  # noqa: F401 - their loggers exist before levels are set

raw = []


class Raw(logging.Handler):
    # Sees every record before the filtered handler rewrites it: proof that the run did log secrets' neighbours.
    def emit(self, record):
        try:
            raw.append(record.getMessage())
        except Exception:
            pass


logging.getLogger().handlers.insert(0, Raw())


def everything_at_debug():
    for name in [""] + list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.disabled = False


from datetime import timedelta
from django.utils import timezone
from connector.models import Connection, Credential
from connector.services.connections import connection_rotate_webhook_secret
from connector.services.webhooks import procore_hook_register
from sync.services import sync_kind_run

connection_id = int(sys.argv[1])
everything_at_debug()
Credential.objects.filter(connection_id=connection_id).update(expires_at=timezone.now() - timedelta(minutes=1))
connection = Connection.objects.get(pk=connection_id)
procore_hook_register(connection=connection)
connection_rotate_webhook_secret(connection=connection)
for kind in ("cost_code", "project", "vendor"):
    everything_at_debug()  # loggers created by modules imported on the way
    run = sync_kind_run(connection_id=connection_id, kind=kind)
    logging.getLogger("probe").info("run %s: %s", kind, run.status)
open(sys.argv[2], "w").write(json.dumps(raw))
"""


def personal_data(procore_sandbox, xero_sandbox) -> set[str]:
    contacts = requests.get(f"{xero_sandbox.url}/_sandbox/data/Contacts", timeout=10).json()
    vendors = requests.get(f"{procore_sandbox.url}/_sandbox/data/vendors", timeout=10).json()
    values = {c.get(k) for c in contacts for k in ("Name", "EmailAddress", "FirstName", "LastName", "TaxNumber")}
    values |= {v.get(k) for v in vendors for k in ("name", "legal_name", "email_address", "business_phone")}
    return {v for v in values if isinstance(v, str) and len(v) >= 6}


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_real_sync_with_every_logger_at_debug_logs_no_secret_and_no_contact_data(
        connection, procore_sandbox, xero_sandbox, sandbox_settings, tmp_path):
    before = [v for c in Credential.objects.filter(connection=connection) for v in (c.access_token, c.refresh_token)]
    before.append(connection.webhook_secret)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test", "DATABASE_URL": database_url_for_subprocess(),
           "DEBUG": "true", "LOG_LEVEL": "DEBUG",
           "PROCORE_LOGIN_URL": procore_sandbox.url, "PROCORE_API_URL": procore_sandbox.url,
           "XERO_LOGIN_URL": xero_sandbox.url, "XERO_IDENTITY_URL": xero_sandbox.url, "XERO_API_URL": xero_sandbox.url}
    raw_file = tmp_path / "raw.json"
    result = subprocess.run([sys.executable, "-c", SYNC_SCRIPT, str(connection.pk), str(raw_file)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=600)
    logged = result.stdout + result.stderr
    assert result.returncode == 0, result.stderr[-3000:]

    after = [v for c in Credential.objects.filter(connection=connection) for v in (c.access_token, c.refresh_token)]
    connection = Connection.objects.get(pk=connection.pk)
    assert set(after).isdisjoint(before), "the tokens were refreshed in the run"
    secrets = [s for s in before + after + [connection.webhook_secret, sandbox_settings.PROCORE_CLIENT_SECRET,
                                            sandbox_settings.XERO_CLIENT_SECRET, sandbox_settings.XERO_WEBHOOK_KEY]
               if s]
    people = personal_data(procore_sandbox, xero_sandbox)
    assert len(people) > 20

    assert "DEBUG procore_client.client: procore GET" in logged, "DEBUG lines did reach the log"
    assert "run vendor: succeeded" in logged or "run vendor: " in logged
    assert [s for s in secrets if s in logged] == []
    assert sorted(p for p in people if p in logged) == []

    # The run did produce such data at DEBUG (SQL parameters, URLs): only the filters kept it out.
    raw = "\n".join(json.loads(raw_file.read_text()))
    assert [p for p in people if p in raw], "the scenario must exercise records that carry contact data"
