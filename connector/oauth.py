"""The OAuth apps of this deployment, built from settings (real hosts or the sandboxes)."""

from django.conf import settings
from django.urls import reverse


def redirect_uri(name: str, base_url: str | None = None) -> str:
    return (base_url or settings.SITE_URL).rstrip("/") + reverse(name)


def procore_oauth(base_url: str | None = None):
    from procore_client.oauth import ProcoreOAuth

    return ProcoreOAuth(
        login_url=settings.PROCORE_LOGIN_URL,
        client_id=settings.PROCORE_CLIENT_ID,
        client_secret=settings.PROCORE_CLIENT_SECRET,
        redirect_uri=redirect_uri("procore_oauth_callback", base_url),
    )


def xero_oauth(base_url: str | None = None):
    from xero_client.oauth import XeroOAuth

    return XeroOAuth(
        login_url=settings.XERO_LOGIN_URL,
        identity_url=settings.XERO_IDENTITY_URL,
        api_url=settings.XERO_API_URL,
        client_id=settings.XERO_CLIENT_ID,
        client_secret=settings.XERO_CLIENT_SECRET,
        redirect_uri=redirect_uri("xero_oauth_callback", base_url),
    )
