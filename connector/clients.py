"""API clients bound to a connection's stored credentials (tokens refreshed single-flight).

Every client the product builds comes from these factories, so every call waits for its place in the
account's shared budget (`connector.pacing`) unless budgets are switched off."""

from __future__ import annotations

import time

from django.conf import settings
from django.utils import timezone

from .models import Connection, Credential
from .pacing import procore_pacer, xero_pacer
from .services.credentials import FRESHNESS_MARGIN, credential_current, credential_refresh


class StoredTokens:
    """Hands out the connection's current access token and refreshes it when an API rejects it.

    The credential read (a query and a decryption) is kept for up to KEEP_S while it stays fresh: a run
    makes thousands of calls. A token refreshed meanwhile by another worker leaves ours valid until it
    expires; a revoked one answers 401, which refreshes (or says the connection needs re-authorising)."""

    KEEP_S = 60

    def __init__(self, connection_id: int, provider: str):
        self.connection_id, self.provider = connection_id, provider
        self.last: str | None = None
        self._kept: tuple[Credential, float] | None = None

    def access_token(self) -> str:
        return self.current().access_token

    def current(self) -> Credential:
        now = time.monotonic()
        if self._kept and now - self._kept[1] < self.KEEP_S \
                and self._kept[0].expires_at > timezone.now() + FRESHNESS_MARGIN:
            return self._kept[0]
        credential = credential_current(connection_id=self.connection_id, provider=self.provider)
        self.last, self._kept = credential.access_token, (credential, now)
        return credential

    def xero_token(self) -> dict:
        credential = self.current()
        return {"access_token": credential.access_token, "expires_at": credential.expires_at,
                "scope": credential.scope.split()}

    def on_unauthorized(self, _rejected=None) -> str:
        # Refresh only if the token that was rejected is still the stored one (else a neighbour did it).
        self._kept = None
        self.last = credential_refresh(connection_id=self.connection_id, provider=self.provider,
                                       rejected_token=self.last)
        return self.last


WEB_WAIT_S = 20  # what a web request may wait for the rate budget (gunicorn gives a request 30 s)


def procore_client_for(connection: Connection, company_id: int | None = None, max_wait_s: float | None = None):
    """`max_wait_s`: longest a call waits for the budget (default RATE_BUDGET_MAX_WAIT_S); a web request
    should pass a few seconds."""
    from procore_client.client import ProcoreClient

    company_id = company_id or connection.procore_company_id
    tokens = StoredTokens(connection.pk, Credential.Provider.PROCORE)
    return ProcoreClient(
        api_url=settings.PROCORE_API_URL,
        company_id=company_id,
        access_token=tokens.access_token,
        on_unauthorized=tokens.on_unauthorized,
        pacer=procore_pacer(company_id, max_wait_s=max_wait_s),  # None: the client's own header pacer
    )


def procore_client_with_token(access_token: str, *, budget_company_id: int | None = None, max_wait_s: float = 5):
    """A client on a token not stored yet (a fresh authorisation being checked) for company-less calls, paced
    on the budget of the company it should reach, when known."""
    from procore_client.client import ProcoreClient

    pacer = procore_pacer(budget_company_id, max_wait_s=max_wait_s) if budget_company_id else None
    return ProcoreClient(api_url=settings.PROCORE_API_URL, company_id=None, access_token=lambda: access_token,
                         pacer=pacer)


def xero_client_for(connection: Connection, tenant_id: str | None = None, max_wait_s: float | None = None):
    from xero_client.client import XeroClient

    tenant_id = tenant_id or connection.xero_tenant_id
    tokens = StoredTokens(connection.pk, Credential.Provider.XERO)
    return XeroClient(
        api_url=settings.XERO_API_URL,
        tenant_id=tenant_id,
        access_token=tokens.xero_token,
        on_unauthorized=tokens.on_unauthorized,
        client_id=settings.XERO_CLIENT_ID,
        client_secret=settings.XERO_CLIENT_SECRET,
        pacer=xero_pacer(tenant_id, max_wait_s=max_wait_s),
    )
