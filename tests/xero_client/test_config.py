"""Only base URLs differ between the sandbox and real Xero: both clients follow the settings."""

from django.test import override_settings

from tests.sandbox.xero.helpers import REDIRECT, US_TENANT, consent
from xero_client.config import client_from_settings, oauth_from_settings


def test_clients_built_from_settings_reach_the_configured_hosts(xero_sandbox):
    url = xero_sandbox.url
    with override_settings(XERO_LOGIN_URL=url, XERO_IDENTITY_URL=url, XERO_API_URL=url):
        oauth = oauth_from_settings(REDIRECT)
        assert oauth.authorize_url("s").startswith(f"{url}/identity/connect/authorize?")
        tokens = oauth.exchange_code(consent(xero_sandbox)["code"])
        client = client_from_settings(US_TENANT, lambda: tokens)
        assert client.organisation().name == "Summit Ridge Builders LLC"
        assert US_TENANT in [c.tenant_id for c in client.connections()]
    with override_settings(XERO_API_URL="http://127.0.0.1:9"):
        assert (
            client_from_settings(US_TENANT, lambda: tokens).accounting.base_url
            == "http://127.0.0.1:9/api.xro/2.0"
        )
