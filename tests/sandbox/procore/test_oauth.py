"""The login host: consent page, code grant, rotating refresh tokens, client credentials, revoke, expiry."""

import re

import requests

from sandbox.procore import CLIENT_ID, CLIENT_SECRET
from tests.procore_client.support import COMPANY_ID, OTHER_COMPANY_ID, control

OOB = "urn:ietf:wg:oauth:2.0:oob"


def token(server, **form):
    return requests.post(
        f"{server.url}/oauth/token",
        timeout=10,
        data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **form},
    )


def authorize(server, redirect_uri, decision="allow", state="s1"):
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": redirect_uri, "state": state}
    page = requests.get(f"{server.url}/oauth/authorize", params=params, timeout=10)
    assert page.status_code == 200
    return page, requests.post(
        f"{server.url}/oauth/authorize",
        data={**params, "decision": decision},
        allow_redirects=False,
        timeout=10,
    )


def code_from(answer):
    return re.search(r"code=([^&]+)", answer.headers["Location"]).group(1)


def me(server, access_token):
    return requests.get(
        f"{server.url}/rest/v1.0/me",
        timeout=10,
        headers={"Authorization": f"Bearer {access_token}", "Procore-Company-Id": str(COMPANY_ID)},
    )


def test_consent_page_names_the_app_and_companies(sandbox):
    page, _ = authorize(sandbox, OOB, decision="deny")
    assert "Procore ⇄ Xero Connector" in page.text
    assert "Summit Ridge Builders" in page.text and "Harbor Line Construction" in page.text
    assert '<button name="decision" value="allow">Allow</button>' in page.text


def test_code_grant_on_any_loopback_port_and_single_use_code(sandbox):
    redirect = "http://localhost:5173/oauth/procore/callback/"
    _, answer = authorize(sandbox, redirect, state="abc")
    assert answer.status_code == 302 and answer.headers["Location"].startswith(redirect)
    assert "state=abc" in answer.headers["Location"]
    code = code_from(answer)
    first = token(sandbox, grant_type="authorization_code", code=code, redirect_uri=redirect)
    assert first.status_code == 200
    body = first.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 5400 and body["refresh_token"]
    again = token(sandbox, grant_type="authorization_code", code=code, redirect_uri=redirect)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_unregistered_redirect_and_denial(sandbox):
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": "https://evil.example/cb"}
    assert requests.get(f"{sandbox.url}/oauth/authorize", params=params, timeout=10).status_code == 400
    _, denied = authorize(sandbox, "http://127.0.0.1:8000/oauth/procore/callback/", decision="deny")
    assert "error=access_denied" in denied.headers["Location"] and "code=" not in denied.headers["Location"]


def test_refresh_tokens_rotate_and_are_single_use(sandbox):
    _, answer = authorize(sandbox, OOB)
    code = re.search(r"<pre id='code'>([^<]+)</pre>", answer.text).group(1)
    first = token(sandbox, grant_type="authorization_code", code=code, redirect_uri=OOB).json()
    second = token(
        sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"], redirect_uri=OOB
    )
    assert second.status_code == 200 and second.json()["refresh_token"] != first["refresh_token"]
    replay = token(
        sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"], redirect_uri=OOB
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert me(sandbox, second.json()["access_token"]).status_code == 200


def test_client_credentials_have_no_refresh_token_and_bad_secret_is_refused(sandbox):
    body = token(sandbox, grant_type="client_credentials").json()
    assert "refresh_token" not in body and me(sandbox, body["access_token"]).status_code == 200
    wrong = requests.post(
        f"{sandbox.url}/oauth/token",
        timeout=10,
        data={"client_id": CLIENT_ID, "client_secret": "nope", "grant_type": "client_credentials"},
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


def test_token_info_revoke_and_expiry(sandbox):
    access = token(sandbox, grant_type="client_credentials").json()["access_token"]
    info = requests.get(
        f"{sandbox.url}/oauth/token/info", headers={"Authorization": f"Bearer {access}"}, timeout=10
    )
    assert info.status_code == 200 and info.json()["application"]["uid"] == CLIENT_ID
    revoked = requests.post(
        f"{sandbox.url}/oauth/revoke",
        timeout=10,
        data={"token": access, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    )
    assert revoked.status_code == 200
    answer = me(sandbox, access)
    assert answer.status_code == 401 and answer.json()["errors"] == "The access token is invalid"
    fresh = token(sandbox, grant_type="client_credentials").json()["access_token"]
    control(sandbox, "oauth/expire")
    assert me(sandbox, fresh).status_code == 401


def test_configurable_lifetime_expires_on_the_emulator_clock(sandbox):
    control(sandbox, "settings", {"token_lifetime_s": 60})
    body = token(sandbox, grant_type="client_credentials").json()
    assert body["expires_in"] == 60 and me(sandbox, body["access_token"]).status_code == 200
    control(sandbox, "clock/advance", {"seconds": 61})
    assert me(sandbox, body["access_token"]).status_code == 401


def test_clients_listing_and_added_clients(sandbox):
    listed = requests.get(f"{sandbox.url}/_sandbox/clients", timeout=10).json()
    default = next(c for c in listed if c["client_id"] == CLIENT_ID)
    assert default["client_secret"] == CLIENT_SECRET and OOB in default["redirect_uris"]
    assert default["company_ids"] == [COMPANY_ID, OTHER_COMPANY_ID]
    added = control(
        sandbox, "clients", {"name": "Second app", "redirect_uris": [OOB], "company_ids": [OTHER_COMPANY_ID]}
    )
    access = requests.post(
        f"{sandbox.url}/oauth/token",
        timeout=10,
        data={
            "client_id": added["client_id"],
            "client_secret": added["client_secret"],
            "grant_type": "client_credentials",
        },
    ).json()["access_token"]
    assert me(sandbox, access).status_code == 403  # this app only reaches the second company
