"""XeroOAuth against the emulated identity service."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.sandbox.xero.helpers import REDIRECT, connect, oauth_for
from xero_client import DEFAULT_SCOPES, XeroInvalidGrant


def test_authorize_url_asks_for_granular_scopes_and_offline_access(xero_sandbox):
    query = parse_qs(urlsplit(oauth_for(xero_sandbox).authorize_url("st-9")).query)
    assert (
        query["response_type"] == ["code"]
        and query["state"] == ["st-9"]
        and query["redirect_uri"] == [REDIRECT]
    )
    scopes = query["scope"][0].split()
    assert (
        "offline_access" in scopes
        and "accounting.invoices" in scopes
        and "accounting.transactions" not in scopes
    )
    assert scopes == DEFAULT_SCOPES


def test_token_set_and_refresh_rotation(xero_sandbox):
    oauth = oauth_for(xero_sandbox)
    tokens = connect(xero_sandbox)
    assert tokens.expires_at.tzinfo is not None and "offline_access" in tokens.scope
    assert tokens.access_token not in repr(tokens) and tokens.refresh_token not in repr(tokens)
    newer = oauth.refresh(tokens.refresh_token)
    assert newer.refresh_token != tokens.refresh_token
    oauth.revoke(newer.refresh_token)
    with pytest.raises(XeroInvalidGrant):
        oauth.refresh(newer.refresh_token)
