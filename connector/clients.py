"""API clients bound to a connection's stored credentials (tokens refreshed single-flight)."""

from __future__ import annotations

from django.conf import settings

from .models import Connection, Credential
from .services.credentials import credential_access_token, credential_refresh


def procore_client_for(connection: Connection, company_id: int | None = None):
    from procore_client.client import ProcoreClient

    provider = Credential.Provider.PROCORE
    return ProcoreClient(
        api_url=settings.PROCORE_API_URL,
        company_id=company_id or connection.procore_company_id,
        access_token=lambda: credential_access_token(connection_id=connection.pk, provider=provider),
        on_unauthorized=lambda rejected: credential_refresh(
            connection_id=connection.pk, provider=provider, rejected_token=rejected),
    )


def xero_client_for(connection: Connection, tenant_id: str | None = None):
    from xero_client.client import XeroClient

    provider = Credential.Provider.XERO
    return XeroClient(
        api_url=settings.XERO_API_URL,
        tenant_id=tenant_id or connection.xero_tenant_id,
        access_token=lambda: credential_access_token(connection_id=connection.pk, provider=provider),
        on_unauthorized=lambda rejected: credential_refresh(
            connection_id=connection.pk, provider=provider, rejected_token=rejected),
        client_id=settings.XERO_CLIENT_ID,
        client_secret=settings.XERO_CLIENT_SECRET,
    )
