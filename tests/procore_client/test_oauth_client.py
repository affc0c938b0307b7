"""ProcoreOAuth against the emulator's login host."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import requests

from procore_client import ProcoreAuthError, ProcoreInvalidGrant, ProcoreOAuth
from sandbox.procore import CLIENT_ID
from tests.procore_client.support import control, oauth

CALLBACK = "http://127.0.0.1:8000/oauth/procore/callback/"


def allow(server, flow, state="st"):
    page = requests.get(flow.authorize_url(state), timeout=10)
    form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
    answer = requests.post(
        f"{server.url}/oauth/authorize", data={**form, "decision": "allow"}, allow_redirects=False, timeout=10
    )
    return re.search(r"code=([^&]+)", answer.headers["Location"]).group(1)


def test_code_exchange_and_rotating_refresh(sandbox):
    flow = oauth(sandbox, CALLBACK)
    tokens = flow.exchange_code(allow(sandbox, flow))
    soon = datetime.now(UTC) + timedelta(seconds=5400)
    assert tokens.refresh_token and abs((tokens.expires_at - soon).total_seconds()) < 5
    assert tokens.access_token not in repr(tokens) and tokens.refresh_token not in repr(tokens)
    renewed = flow.refresh(tokens.refresh_token)
    assert renewed.refresh_token != tokens.refresh_token
    with pytest.raises(ProcoreInvalidGrant):
        flow.refresh(tokens.refresh_token)
    with pytest.raises(ProcoreInvalidGrant):
        flow.exchange_code("not-a-code")


def test_client_credentials_info_and_revoke(sandbox):
    flow = oauth(sandbox)
    tokens = flow.client_credentials()
    assert tokens.refresh_token is None
    assert flow.token_info(tokens.access_token)["application"]["uid"] == CLIENT_ID
    flow.revoke(tokens.access_token)
    with pytest.raises(ProcoreAuthError):
        flow.token_info(tokens.access_token)


def test_wrong_secret_is_an_auth_error_not_an_invalid_grant(sandbox):
    flow = ProcoreOAuth(sandbox.url, CLIENT_ID, "wrong", CALLBACK)
    with pytest.raises(ProcoreAuthError) as err:
        flow.client_credentials()
    assert not isinstance(err.value, ProcoreInvalidGrant) and err.value.status == 401


def test_revoked_connection_refresh_is_invalid_grant(sandbox):
    flow = oauth(sandbox, CALLBACK)
    tokens = flow.exchange_code(allow(sandbox, flow))
    control(sandbox, "oauth/revoke", {"client_id": CLIENT_ID})
    with pytest.raises(ProcoreInvalidGrant):
        flow.refresh(tokens.refresh_token)
