"""Clients built from Django settings (XERO_* in settings/topics/integrations.py): only base URLs and
credentials differ between the sandbox and the real Xero hosts."""

from __future__ import annotations

from django.conf import settings

from .client import XeroClient
from .oauth import XeroOAuth


def oauth_from_settings(redirect_uri: str, scopes: list[str] | None = None) -> XeroOAuth:
    return XeroOAuth(
        settings.XERO_LOGIN_URL,
        settings.XERO_IDENTITY_URL,
        settings.XERO_API_URL,
        settings.XERO_CLIENT_ID,
        settings.XERO_CLIENT_SECRET,
        redirect_uri,
        scopes,
    )


def client_from_settings(
    tenant_id: str, access_token, on_unauthorized=None, pacer=None, timeout: tuple[int, int] = (5, 60)
) -> XeroClient:
    return XeroClient(
        settings.XERO_API_URL,
        tenant_id,
        access_token,
        on_unauthorized=on_unauthorized,
        client_id=settings.XERO_CLIENT_ID,
        client_secret=settings.XERO_CLIENT_SECRET,
        pacer=pacer,
        timeout=timeout,
    )
