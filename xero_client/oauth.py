"""Xero OAuth 2.0 (authorization code, rotating refresh tokens, custom-connection client credentials).

Plain `requests`: the SDK cannot exchange codes. Client authentication uses HTTP Basic, as Xero documents.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import requests

from .errors import XeroAuthError, XeroConnectionError, XeroInvalidGrant, XeroServerError

# Granular scopes (mandatory for apps created from 2 March 2026) + offline_access for refresh tokens.
DEFAULT_SCOPES = [
    "offline_access",
    "openid",
    "profile",
    "email",
    "accounting.settings",
    "accounting.contacts",
    "accounting.invoices",
    "accounting.payments",
    "accounting.banktransactions.read",
    "accounting.manualjournals.read",
    "accounting.attachments",
]


@dataclass
class TokenSet:
    access_token: str
    refresh_token: str | None
    expires_at: datetime
    scope: list[str] = field(default_factory=list)
    id_token: str | None = None
    raw: dict = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:  # never print tokens
        return f"TokenSet(expires_at={self.expires_at.isoformat()}, scope={self.scope})"

    @property
    def auth_event_id(self) -> str | None:
        """Xero access tokens are JWTs; `authentication_event_id` finds the orgs just connected."""
        try:
            payload = self.access_token.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (IndexError, ValueError):
            return None
        return claims.get("authentication_event_id")

    @classmethod
    def from_response(cls, data: dict, now: datetime | None = None) -> TokenSet:
        now = now or datetime.now(UTC)
        scope = data.get("scope") or []
        return cls(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token"),
            expires_at=now + timedelta(seconds=int(data.get("expires_in", 1800))),
            scope=scope.split() if isinstance(scope, str) else list(scope),
            id_token=data.get("id_token"),
            raw=data,
        )


class XeroOAuth:
    def __init__(
        self,
        login_url: str,
        identity_url: str,
        api_url: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        scopes: list[str] | None = None,
        timeout: tuple = (5, 30),
    ) -> None:
        self.login_url, self.identity_url = login_url.rstrip("/"), identity_url.rstrip("/")
        self.api_url = api_url.rstrip("/")
        self.client_id, self.client_secret, self.redirect_uri = client_id, client_secret, redirect_uri
        self.scopes = list(scopes or DEFAULT_SCOPES)
        self.timeout = timeout

    def authorize_url(self, state: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": " ".join(self.scopes),
                "state": state,
            }
        )
        return f"{self.login_url}/identity/connect/authorize?{query}"

    def exchange_code(self, code: str) -> TokenSet:
        return self._token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        )

    def refresh(self, refresh_token: str) -> TokenSet:
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def client_credentials(self, scopes: list[str] | None = None) -> TokenSet:
        data = {"grant_type": "client_credentials"}
        if scopes:
            data["scope"] = " ".join(scopes)
        return self._token(data)

    def revoke(self, refresh_token: str) -> None:
        self._post(f"{self.identity_url}/connect/revocation", {"token": refresh_token})

    def connections(self, access_token: str, auth_event_id: str | None = None) -> list[dict]:
        params = {"authEventId": auth_event_id} if auth_event_id else None
        try:
            response = requests.get(
                f"{self.api_url}/connections",
                params=params,
                timeout=self.timeout,
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            )
        except requests.RequestException as exc:
            raise XeroConnectionError(f"no answer from Xero connections ({type(exc).__name__})") from None
        self._raise_for(response)
        return response.json()

    def delete_connection(self, access_token: str, connection_id: str) -> None:
        response = requests.delete(
            f"{self.api_url}/connections/{connection_id}",
            timeout=self.timeout,
            headers={"Authorization": f"Bearer {access_token}"},
        )
        self._raise_for(response)

    # -- plumbing --------------------------------------------------------------------------------
    def _token(self, data: dict) -> TokenSet:
        return TokenSet.from_response(self._post(f"{self.identity_url}/connect/token", data).json())

    def _post(self, url: str, data: dict) -> requests.Response:
        try:
            response = requests.post(
                url,
                data=data,
                auth=(self.client_id, self.client_secret),
                timeout=self.timeout,
                headers={"Accept": "application/json"},
            )
        except requests.RequestException as exc:
            raise XeroConnectionError(f"no answer from Xero identity ({type(exc).__name__})") from None
        self._raise_for(response)
        return response

    @staticmethod
    def _raise_for(response: requests.Response) -> None:
        if response.status_code < 300:
            return
        try:
            error = response.json().get("error")
        except (ValueError, AttributeError):
            error = None
        if error == "invalid_grant":
            raise XeroInvalidGrant("Xero refused the grant (invalid_grant): the user must reconnect")
        if response.status_code >= 500:
            raise XeroServerError(response.status_code, "identity service unavailable")
        raise XeroAuthError(f"Xero identity answered {response.status_code} ({error or 'error'})")
