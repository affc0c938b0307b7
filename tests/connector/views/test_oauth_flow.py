"""The connect and re-authorise flows through the admin's own URLs and the sandboxes' consent pages.

Redirect URIs come from SITE_URL whatever Host the request claims; a re-authorisation is kept only when
it reaches the connection's own Procore company and Xero organisation."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.messages import get_messages
from django.core import mail

from connector.models import AuditEntry, Connection, Credential, Membership
from connector.services.connections import connection_mark_needs_reauthorisation
from sandbox.consent import consent
from sandbox.datasets import PROCORE_COMPANIES, XERO_ORGANISATIONS
from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db

SANDBOX_PROCORE_CLIENT = "sandbox-procore-client"


def follow_consent(client, start_response, choices=None):
    """Allow access at the sandbox's consent page, then bring the browser back to our callback."""
    assert start_response.status_code == 302, start_response
    back = urlsplit(consent(start_response.url, choices))
    return client.get(f"{back.path}?{back.query}")


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def tokens_of(connection, provider):
    credential = Credential.objects.get(connection=connection, provider=provider)
    return credential.access_token, credential.refresh_token


def test_redirect_uris_come_from_site_url_not_the_request_host(client, settings, sandbox_settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = "http://127.0.0.1:8000"
    client.force_login(UserFactory(is_superuser=True))
    start = client.get("/admin/connector/connection/connect/procore/", HTTP_HOST="attacker.test",
                       HTTP_X_FORWARDED_PROTO="https")
    assert parse_qs(urlsplit(start.url).query)["redirect_uri"] == ["http://127.0.0.1:8000/oauth/procore/callback/"]


def test_the_person_who_connects_becomes_a_connection_admin_and_gets_the_reauthorisation_mail(
        client, sandbox_settings, django_capture_on_commit_callbacks):
    """A company admin of one connection connects another company: they are its company admin, nobody else."""
    ada = UserFactory(username="ada", role="Company admin", role__on=[ConnectionFactory()], email="ada@builder.test")
    UserFactory(username="bob", role="Company admin", email="bob@builder.test")  # of the first one only
    client.force_login(ada)
    follow_consent(client, client.get("/admin/connector/connection/connect/procore/"))
    connection = Connection.objects.latest("pk")
    assert [(m.user, m.role) for m in connection.memberships.all()] == [(ada, Membership.Role.COMPANY_ADMIN)]
    assert AuditEntry.objects.filter(connection=connection, action="connect", user=ada).exists()

    with django_capture_on_commit_callbacks(execute=True):
        connection_mark_needs_reauthorisation(connection=connection, reason="Xero no longer accepts the tokens.")
    assert [m.to for m in mail.outbox] == [["ada@builder.test"]]


@pytest.fixture
def admin_client(client, connection):
    client.force_login(UserFactory(role="Company admin"))
    return client


def test_reauthorising_procore_with_the_same_company_keeps_the_new_tokens(admin_client, connection):
    connection_mark_needs_reauthorisation(connection=connection, reason="Procore refused the refresh token.")
    before = tokens_of(connection, Credential.Provider.PROCORE)
    response = follow_consent(admin_client,
                              admin_client.get(f"/admin/connector/connection/{connection.pk}/reconnect/procore/"))
    assert "Procore re-authorised" in messages_of(response)
    assert tokens_of(connection, Credential.Provider.PROCORE) != before
    connection.refresh_from_db()
    assert connection.status == Connection.Status.ACTIVE


def test_reauthorising_procore_as_someone_of_another_company_is_refused_and_keeps_the_old_tokens(
        admin_client, connection, procore_sandbox):
    connection_mark_needs_reauthorisation(connection=connection, reason="Procore refused the refresh token.")
    before = tokens_of(connection, Credential.Provider.PROCORE)
    # The person consenting reaches Harbor Line only (Procore tokens belong to the user who consents).
    procore_sandbox.state.oauth_clients[SANDBOX_PROCORE_CLIENT]["company_ids"] = [PROCORE_COMPANIES[1]["id"]]

    response = follow_consent(admin_client,
                              admin_client.get(f"/admin/connector/connection/{connection.pk}/reconnect/procore/"))

    assert response.status_code == 302 and response.url.endswith(f"/connection/{connection.pk}/change/")
    text = messages_of(response)
    assert "cannot reach “Summit Ridge Builders”" in text and "keeps its previous authorisation" in text
    assert tokens_of(connection, Credential.Provider.PROCORE) == before
    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_REAUTHORISATION
    assert connection.procore_company_id == PROCORE_COMPANIES[0]["id"]


def test_reauthorising_xero_with_the_same_organisation_keeps_the_new_tokens(admin_client, connection):
    connection_mark_needs_reauthorisation(connection=connection, reason="Xero refused the refresh token.")
    before = tokens_of(connection, Credential.Provider.XERO)
    response = follow_consent(admin_client,
                              admin_client.get(f"/admin/connector/connection/{connection.pk}/connect/xero/"),
                              {"tenant_id": XERO_ORGANISATIONS[0]["tenantId"]})
    assert "Xero re-authorised" in messages_of(response)
    assert tokens_of(connection, Credential.Provider.XERO) != before
    connection.refresh_from_db()
    assert connection.status == Connection.Status.ACTIVE


def test_reauthorising_xero_with_another_organisation_is_refused_and_keeps_the_old_tokens(
        admin_client, connection, xero_sandbox):
    # The organisation removed the app in Xero (so the connection needs re-authorising), then someone
    # consents choosing another organisation.
    access, _ = tokens_of(connection, Credential.Provider.XERO)
    auth = {"Authorization": f"Bearer {access}"}
    ours = next(c for c in requests.get(f"{xero_sandbox.url}/connections", headers=auth, timeout=5).json()
                if c["tenantId"] == connection.xero_tenant_id)
    assert requests.delete(f"{xero_sandbox.url}/connections/{ours['id']}", headers=auth, timeout=5).status_code == 204
    connection_mark_needs_reauthorisation(connection=connection, reason="Xero says the organisation is gone.")
    before = tokens_of(connection, Credential.Provider.XERO)

    response = follow_consent(admin_client,
                              admin_client.get(f"/admin/connector/connection/{connection.pk}/connect/xero/"),
                              {"tenant_id": XERO_ORGANISATIONS[1]["tenantId"]})

    text = messages_of(response)
    assert "does not reach “Summit Ridge Builders LLC”" in text and "keeps its previous authorisation" in text
    assert tokens_of(connection, Credential.Provider.XERO) == before
    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_REAUTHORISATION
    assert connection.xero_tenant_id == XERO_ORGANISATIONS[0]["tenantId"]


def test_reauthorising_reuses_the_procore_hook_instead_of_adding_one(
        admin_client, connection, procore_sandbox, django_capture_on_commit_callbacks):
    from connector.services.webhooks import procore_hook_register

    procore_hook_register(connection=connection)
    connection_mark_needs_reauthorisation(connection=connection, reason="Procore refused the refresh token.")
    with django_capture_on_commit_callbacks(execute=True):
        follow_consent(admin_client,
                       admin_client.get(f"/admin/connector/connection/{connection.pk}/reconnect/procore/"))
    hooks = [h for h in procore_sandbox.state.table("webhook_hooks").values()
             if h["owned_by_company_id"] == connection.procore_company_id]
    assert len(hooks) == 1


@pytest.mark.parametrize("role", ["Accountant", "Viewer"])
def test_only_company_admins_may_reauthorise(client, connection, role):
    client.force_login(UserFactory(role=role))
    assert client.get(f"/admin/connector/connection/{connection.pk}/reconnect/procore/").status_code == 403
    assert client.get(f"/admin/connector/connection/{connection.pk}/connect/xero/").status_code == 403


def test_a_disconnected_connection_cannot_be_reauthorised_behind_its_back(admin_client, connection):
    from connector.services.connections import connection_disconnect

    connection_disconnect(connection=connection)
    response = follow_consent(admin_client,
                              admin_client.get(f"/admin/connector/connection/{connection.pk}/reconnect/procore/"))
    assert "was disconnected and stays as history" in messages_of(response)
    connection.refresh_from_db()
    assert connection.status == Connection.Status.DISCONNECTED
    assert Credential.objects.get(connection=connection, provider=Credential.Provider.PROCORE).revoked_at


def test_when_procore_cannot_list_companies_nothing_changes(admin_client, connection, settings):
    before = tokens_of(connection, Credential.Provider.PROCORE)
    start = admin_client.get(f"/admin/connector/connection/{connection.pk}/reconnect/procore/")
    back = urlsplit(consent(start.url))
    settings.PROCORE_API_URL = "http://127.0.0.1:9"  # the API host is down; the login host answered
    response = admin_client.get(f"{back.path}?{back.query}")
    assert "nothing was changed" in messages_of(response)
    assert tokens_of(connection, Credential.Provider.PROCORE) == before
