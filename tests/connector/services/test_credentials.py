"""Rotating refresh tokens are spent once, however many workers ask at the same moment."""

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.core import mail
from django.db import connections
from django.utils import timezone

from connector.errors import NeedsReauthorisation
from connector.models import Connection, Credential
from connector.services.credentials import credential_access_token
from tests.workers import database_url_for_subprocess

ROOT = Path(__file__).resolve().parents[3]
PROVIDERS = [Credential.Provider.PROCORE, Credential.Provider.XERO]


def expire(connection, provider):
    Credential.objects.filter(connection=connection, provider=provider).update(
        expires_at=timezone.now() - timedelta(minutes=1))


def token_calls(server) -> int:
    stats = requests.get(f"{server.url}/_sandbox/stats", timeout=5).json()["calls"]
    return sum(n for call, n in stats.items() if call.endswith(("/oauth/token", "/connect/token")))


def server_for(provider, procore_sandbox, xero_sandbox):
    return procore_sandbox if provider == Credential.Provider.PROCORE else xero_sandbox


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_fifty_threads_refresh_once_and_the_connection_stays_active(provider, connection, procore_sandbox,
                                                                     xero_sandbox):
    server = server_for(provider, procore_sandbox, xero_sandbox)
    expire(connection, provider)
    before, version = token_calls(server), Credential.objects.get(connection=connection, provider=provider).version
    barrier, tokens, errors = threading.Barrier(50), [], []

    def worker():
        try:
            barrier.wait()
            tokens.append(credential_access_token(connection_id=connection.pk, provider=provider))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert token_calls(server) - before == 1, "the refresh token must be spent exactly once"
    assert len(set(tokens)) == 1 and len(tokens) == 50
    credential = Credential.objects.get(connection=connection, provider=provider)
    assert credential.version == version + 1
    connection.refresh_from_db()
    assert connection.status == Connection.Status.ACTIVE


REFRESH_SCRIPT = """
import os, sys, threading, django
django.setup()
from django.db import connections
from connector.services.credentials import credential_access_token
barrier, out = threading.Barrier(10), []
def run():
    barrier.wait()
    try:
        out.append(credential_access_token(connection_id=int(sys.argv[1]), provider=sys.argv[2]))
    except Exception as exc:
        out.append("ERROR " + type(exc).__name__ + ": " + str(exc))
    finally:
        connections.close_all()
threads = [threading.Thread(target=run) for _ in range(10)]
[t.start() for t in threads]; [t.join() for t in threads]
print("\\n".join(out))
"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_five_processes_of_ten_threads_refresh_once(provider, connection, procore_sandbox, xero_sandbox,
                                                    sandbox_settings):
    server = server_for(provider, procore_sandbox, xero_sandbox)
    expire(connection, provider)
    before = token_calls(server)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test", "DATABASE_URL": database_url_for_subprocess(),
           "PROCORE_LOGIN_URL": procore_sandbox.url, "PROCORE_API_URL": procore_sandbox.url,
           "XERO_LOGIN_URL": xero_sandbox.url, "XERO_IDENTITY_URL": xero_sandbox.url, "XERO_API_URL": xero_sandbox.url}
    processes = [subprocess.Popen([sys.executable, "-c", REFRESH_SCRIPT, str(connection.pk), provider], cwd=ROOT,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(5)]
    outputs = [p.communicate(timeout=120) for p in processes]
    lines = [line for out, _ in outputs for line in out.splitlines()]
    assert len(lines) == 50, [err[-500:] for _, err in outputs]
    assert not [line for line in lines if line.startswith("ERROR")]
    assert len(set(lines)) == 1
    assert token_calls(server) - before == 1
    connection.refresh_from_db()
    assert connection.status == Connection.Status.ACTIVE


@pytest.mark.django_db
@pytest.mark.parametrize("provider, revoke_path", [(Credential.Provider.PROCORE, "/_sandbox/oauth/revoke"),
                                                   (Credential.Provider.XERO, "/_sandbox/tokens/revoke")])
def test_a_revoked_authorisation_marks_the_connection_and_tells_its_admins(
        provider, revoke_path, connection, procore_sandbox, xero_sandbox, client, django_capture_on_commit_callbacks):
    from tests.factories import UserFactory

    admin = UserFactory(role="Company admin", role__on=[connection], email="pm@example.com")
    UserFactory(role="Accountant", role__on=[connection], email="acc@example.com")  # not e-mailed
    server = server_for(provider, procore_sandbox, xero_sandbox)
    requests.post(f"{server.url}{revoke_path}", json={}, timeout=5).raise_for_status()
    expire(connection, provider)

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(NeedsReauthorisation):
            credential_access_token(connection_id=connection.pk, provider=provider)
    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_REAUTHORISATION
    assert "connect it again" in connection.status_reason
    assert [m.to for m in mail.outbox] == [["pm@example.com"]]

    # Later calls do not hammer the provider: they fail fast with the same reason.
    with pytest.raises(NeedsReauthorisation):
        credential_access_token(connection_id=connection.pk, provider=provider)

    client.force_login(admin)
    page = client.get("/admin/").content.decode()
    assert "needs re-authorisation" in page and "Reconnect" in page


@pytest.mark.django_db
def test_tokens_never_reach_the_logs(connection, caplog, procore_sandbox, xero_sandbox):
    import logging

    from connector.clients import procore_client_for, xero_client_for

    caplog.set_level(logging.DEBUG)
    for provider in PROVIDERS:
        expire(connection, provider)
    procore_client_for(connection).get("/rest/v1.0/companies")
    xero_client_for(connection).organisation()
    secrets = [v for c in Credential.objects.filter(connection=connection) for v in (c.access_token, c.refresh_token)]
    secrets.append(connection.webhook_secret)
    assert caplog.records, "the calls above log something"
    assert not [s for s in secrets if s and s in caplog.text]
