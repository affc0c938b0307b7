"""The emulated Xero identity service behaves like the real one where integrations get hurt."""

import base64

import pytest
import requests

from sandbox.xero import CLIENT_ID, CLIENT_SECRET, CUSTOM_CLIENT_ID, CUSTOM_CLIENT_SECRET
from xero_client import XeroAuthError, XeroInvalidGrant

from .helpers import CA_TENANT, REDIRECT, US_TENANT, Api, connect, consent, control, oauth_for


def test_consent_page_lists_organisations_and_posts_back(xero_sandbox):
    page = requests.get(oauth_for(xero_sandbox).authorize_url("s1"), timeout=5)
    assert '<select name="tenant_id">' in page.text
    assert 'name="decision" value="allow"' in page.text
    assert "Summit Ridge Builders LLC" in page.text and "Harbor Line Construction Ltd" in page.text
    params = consent(xero_sandbox)
    assert params["state"] == "xyz" and params["code"]


def test_deny_redirects_with_access_denied(xero_sandbox):
    assert consent(xero_sandbox, decision="deny") == {"error": "access_denied", "state": "xyz"}


@pytest.mark.parametrize("scopes", [["accounting.everything"], ["offline_access", "accounting.transactionz"]])
def test_unknown_scope_shows_an_error_page(xero_sandbox, scopes):
    page = requests.get(oauth_for(xero_sandbox, scopes).authorize_url("s"), timeout=5)
    assert page.status_code == 400 and "invalid_scope" in page.text


@pytest.mark.parametrize(
    "redirect", ["http://evil.example/oauth/xero/callback/", "http://127.0.0.1:8000/other/"]
)
def test_only_loopback_callback_redirects_are_registered(xero_sandbox, redirect):
    oauth = oauth_for(xero_sandbox)
    oauth.redirect_uri = redirect
    assert requests.get(oauth.authorize_url("s"), timeout=5).status_code == 400
    oauth.redirect_uri = "http://localhost:54321/oauth/xero/callback/"
    assert requests.get(oauth.authorize_url("s"), timeout=5).status_code == 200


def test_code_exchange_connections_and_single_use_code(xero_sandbox):
    oauth = oauth_for(xero_sandbox)
    code = consent(xero_sandbox, tenant=CA_TENANT)["code"]
    token = oauth.exchange_code(code)
    assert token.refresh_token and token.id_token and "accounting.invoices" in token.scope
    assert 1790 <= (token.expires_at - token.expires_at.now(token.expires_at.tzinfo)).total_seconds() <= 1800
    connections = oauth.connections(token.access_token, token.auth_event_id)
    assert [c["tenantId"] for c in connections] == [CA_TENANT]
    assert oauth.connections(token.access_token, "00000000-0000-0000-0000-000000000000") == []
    with pytest.raises(XeroInvalidGrant):
        oauth.exchange_code(code)


def test_token_endpoint_accepts_basic_and_form_client_auth(xero_sandbox):
    for use_basic in (True, False):
        code = consent(xero_sandbox)["code"]
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
        headers = {}
        if use_basic:
            headers["Authorization"] = (
                "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            )
        else:
            data.update(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        answer = requests.post(f"{xero_sandbox.url}/connect/token", data=data, headers=headers, timeout=5)
        assert answer.status_code == 200 and answer.json()["expires_in"] == 1800
    bad = requests.post(
        f"{xero_sandbox.url}/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": "x",
            "client_id": CLIENT_ID,
            "client_secret": "wrong",
        },
        timeout=5,
    )
    assert bad.json() == {"error": "invalid_client"}


def test_refresh_tokens_rotate_with_a_30_minute_grace(xero_sandbox):
    oauth = oauth_for(xero_sandbox)
    first = connect(xero_sandbox)
    second = oauth.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token and second.access_token != first.access_token
    control(xero_sandbox, "clock/advance", {"seconds": 29 * 60})
    assert oauth.refresh(first.refresh_token).access_token  # the lost-response retry still works
    control(xero_sandbox, "clock/advance", {"seconds": 2 * 60})
    with pytest.raises(XeroInvalidGrant):
        oauth.refresh(first.refresh_token)
    assert oauth.refresh(second.refresh_token).access_token
    with pytest.raises(XeroInvalidGrant):
        oauth.refresh("never-issued")


def test_access_tokens_expire_after_their_lifetime(xero_sandbox):
    control(xero_sandbox, "faults", {"access_token_ttl_s": 60})
    token = connect(xero_sandbox)
    api = Api(xero_sandbox, token)
    assert api.get("/Organisation").status_code == 200
    control(xero_sandbox, "clock/advance", {"seconds": 61})
    answer = api.get("/Organisation")
    assert answer.status_code == 401 and answer.json()["Detail"] == "AuthenticationUnsuccessful"


def test_revocation_kills_refresh_token_and_connections(xero_sandbox):
    oauth = oauth_for(xero_sandbox)
    token = connect(xero_sandbox)
    oauth.revoke(token.refresh_token)
    with pytest.raises(XeroInvalidGrant):
        oauth.refresh(token.refresh_token)
    assert Api(xero_sandbox, token).get("/Organisation").status_code == 401


def test_sandbox_revoke_forces_reauthorisation(xero_sandbox):
    token = connect(xero_sandbox)
    assert control(xero_sandbox, "tokens/revoke", {"client_id": CLIENT_ID})["revoked"] >= 2
    with pytest.raises(XeroInvalidGrant):
        oauth_for(xero_sandbox).refresh(token.refresh_token)


def test_disconnecting_an_organisation_forbids_its_data(xero_sandbox):
    oauth = oauth_for(xero_sandbox)
    token = connect(xero_sandbox)
    api = Api(xero_sandbox, token)
    assert api.get("/Organisation").status_code == 200
    connection = oauth.connections(token.access_token, token.auth_event_id)[0]
    oauth.delete_connection(token.access_token, connection["id"])
    assert api.get("/Organisation").status_code == 403


def test_client_credentials_custom_connection_reaches_one_organisation(xero_sandbox):
    oauth = oauth_for(xero_sandbox)
    oauth.client_id, oauth.client_secret = CUSTOM_CLIENT_ID, CUSTOM_CLIENT_SECRET
    token = oauth.client_credentials()
    assert token.refresh_token is None
    assert [c["tenantId"] for c in oauth.connections(token.access_token)] == [US_TENANT]
    assert Api(xero_sandbox, token).get("/Organisation").status_code == 200
    assert Api(xero_sandbox, token, CA_TENANT).get("/Organisation").status_code == 403
    # The authorisation-code client may not use client_credentials.
    with pytest.raises(XeroAuthError):
        oauth_for(xero_sandbox).client_credentials()


def test_clients_listing_shows_credentials_redirects_and_tenants(xero_sandbox):
    clients = {c["client_id"]: c for c in control(xero_sandbox, "clients", method="GET")}
    assert clients[CLIENT_ID]["client_secret"] == CLIENT_SECRET
    assert US_TENANT in clients[CLIENT_ID]["tenant_ids"] and CA_TENANT in clients[CLIENT_ID]["tenant_ids"]
    assert clients[CUSTOM_CLIENT_ID]["tenant_ids"] == [US_TENANT]


def test_missing_scope_is_forbidden(xero_sandbox):
    token = connect(xero_sandbox, scopes=["offline_access", "accounting.contacts.read"])
    api = Api(xero_sandbox, token)
    assert api.get("/Contacts").status_code == 200
    assert api.get("/Invoices").status_code == 403
    assert api.put("/Contacts?summarizeErrors=false", {"Contacts": [{"Name": "Nope"}]}).status_code == 403
