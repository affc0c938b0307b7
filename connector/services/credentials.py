"""Tokens: stored encrypted, refreshed single-flight under a row lock.

Refresh tokens rotate and are single-use on both Procore and Xero, so two workers must never
spend the same one: the refresh runs while holding the credential row's lock (SELECT … FOR
UPDATE on PostgreSQL; SQLite serialises writers with BEGIN IMMEDIATE), and a worker that waited
for the lock re-reads the row and uses the token its neighbour just obtained. The new access and
refresh token are saved in the same transaction.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..errors import NeedsReauthorisation, TokenRefreshUnavailable
from ..models import Connection, Credential

logger = logging.getLogger(__name__)

# Refresh a little before expiry so a token never dies mid-request (the Xero SDK itself refreshes at 60 s).
FRESHNESS_MARGIN = timedelta(minutes=5)


def credential_store(*, connection: Connection, provider: str, tokens) -> Credential:
    """Save a token set from an OAuth exchange or refresh (both tokens together)."""
    scope = getattr(tokens, "scope", "") or ""
    credential, _ = Credential.objects.update_or_create(
        connection=connection,
        provider=provider,
        defaults={
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token or "",
            "expires_at": tokens.expires_at,
            "scope": " ".join(scope) if isinstance(scope, (list, tuple)) else scope,
            "revoked_at": None,
            "refreshed_at": timezone.now(),
        },
    )
    return credential


def _oauth(provider: str):
    from .. import oauth

    return oauth.procore_oauth() if provider == Credential.Provider.PROCORE else oauth.xero_oauth()


def _invalid_grant_types() -> tuple[type[Exception], ...]:
    from procore_client.oauth import ProcoreInvalidGrant
    from xero_client.oauth import XeroInvalidGrant

    return (ProcoreInvalidGrant, XeroInvalidGrant)


def credential_current(*, connection_id: int, provider: str) -> Credential:
    """The stored credential with a valid access token, refreshed first if it is about to expire."""
    credential = Credential.objects.get(connection_id=connection_id, provider=provider)
    if credential.revoked_at is None and credential.expires_at > timezone.now() + FRESHNESS_MARGIN:
        return credential
    credential_refresh(connection_id=connection_id, provider=provider)
    return Credential.objects.get(connection_id=connection_id, provider=provider)


def credential_access_token(*, connection_id: int, provider: str) -> str:
    return credential_current(connection_id=connection_id, provider=provider).access_token


def credential_refresh(*, connection_id: int, provider: str, rejected_token: str | None = None) -> str:
    """Refresh once for everyone; `rejected_token` is the token the API just answered 401 to."""
    failure: Exception | None = None
    with transaction.atomic():
        credential = Credential.objects.select_for_update().select_related("connection").get(
            connection_id=connection_id, provider=provider
        )
        connection = credential.connection
        if connection.status in (Connection.Status.NEEDS_REAUTHORISATION, Connection.Status.DISCONNECTED):
            raise NeedsReauthorisation(provider, connection.status_reason or "Connect this system again.")
        fresh = credential.expires_at > timezone.now() + FRESHNESS_MARGIN
        if rejected_token is None and fresh:
            return credential.access_token  # a neighbour refreshed while we waited for the lock
        if rejected_token is not None and credential.access_token != rejected_token:
            return credential.access_token
        if not credential.refresh_token:
            failure = NeedsReauthorisation(provider, f"{credential.get_provider_display()} gave no refresh token; connect it again.")
        else:
            try:
                tokens = _oauth(provider).refresh(credential.refresh_token)
            except _invalid_grant_types():
                failure = NeedsReauthorisation(
                    provider,
                    f"{credential.get_provider_display()} no longer accepts this connection's authorisation "
                    "(it was revoked, expired or used elsewhere). A company admin must connect it again.",
                )
            except Exception as exc:  # network error, 5xx: the old refresh token may still be good
                logger.warning("Token refresh for connection %s (%s) failed: %s", connection_id, provider,
                               type(exc).__name__)
                raise TokenRefreshUnavailable(
                    f"Could not reach {credential.get_provider_display()} to renew access; will retry."
                ) from exc
            else:
                credential.access_token = tokens.access_token
                credential.refresh_token = tokens.refresh_token or credential.refresh_token
                credential.expires_at = tokens.expires_at
                credential.version += 1
                credential.refreshed_at = timezone.now()
                credential.save(update_fields=["access_token", "refresh_token", "expires_at", "version",
                                               "refreshed_at"])
                logger.info("Refreshed %s tokens of connection %s (version %s)", provider, connection_id,
                            credential.version)
                return credential.access_token
        from .connections import connection_mark_needs_reauthorisation

        connection_mark_needs_reauthorisation(connection=connection, reason=str(failure))
    raise failure
