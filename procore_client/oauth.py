"""Procore OAuth 2.0 on the login host: code grant, rotating refresh, client credentials, revoke, info."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import requests

from .errors import ProcoreAuthError, ProcoreConnectionError, ProcoreInvalidGrant, from_response


@dataclass
class TokenSet:
    access_token: str
    refresh_token: str | None
    expires_at: datetime
    raw: dict = field(repr=False)

    def __repr__(self) -> str:  # never print tokens
        refresh = "yes" if self.refresh_token else "no"
        return f"TokenSet(expires_at={self.expires_at.isoformat()}, refresh={refresh})"

    @classmethod
    def from_answer(cls, data: dict) -> TokenSet:
        created = data.get("created_at")
        start = datetime.fromtimestamp(created, UTC) if created else datetime.now(UTC)
        return cls(
            data["access_token"],
            data.get("refresh_token"),
            start + timedelta(seconds=int(data.get("expires_in", 5400))),
            data,
        )

    def expires_within(self, seconds: float) -> bool:
        return self.expires_at <= datetime.now(UTC) + timedelta(seconds=seconds)


class ProcoreOAuth:
    def __init__(
        self,
        login_url: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        session: requests.Session | None = None,
        timeout=(5, 30),
    ):
        self.login_url, self.client_id, self.client_secret = login_url.rstrip("/"), client_id, client_secret
        self.redirect_uri, self.timeout = redirect_uri, timeout
        self.session = session or requests.Session()

    def authorize_url(self, state: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "state": state,
        }
        return f"{self.login_url}/oauth/authorize?{urlencode(query)}"

    def exchange_code(self, code: str) -> TokenSet:
        return self._token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        )

    def refresh(self, refresh_token: str) -> TokenSet:
        """Single use: persist the returned pair at once; the old refresh token is already dead."""
        return self._token(
            {"grant_type": "refresh_token", "refresh_token": refresh_token, "redirect_uri": self.redirect_uri}
        )

    def client_credentials(self) -> TokenSet:
        return self._token({"grant_type": "client_credentials"})

    def revoke(self, token: str) -> None:
        self._post("/oauth/revoke", {"token": token})

    def token_info(self, access_token: str) -> dict:
        try:
            response = self.session.get(
                f"{self.login_url}/oauth/token/info",
                timeout=self.timeout,
                headers={"Authorization": f"Bearer {access_token}"},
            )
        except requests.RequestException as exc:
            raise ProcoreConnectionError(None, f"login host unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise from_response(response.status_code, response.text, response.headers)
        return response.json()

    def _token(self, form: dict) -> TokenSet:
        response = self._post("/oauth/token", form)
        return TokenSet.from_answer(response.json())

    def _post(self, path: str, form: dict) -> requests.Response:
        data = {**form, "client_id": self.client_id, "client_secret": self.client_secret}
        try:
            response = self.session.post(f"{self.login_url}{path}", data=data, timeout=self.timeout)
        except requests.RequestException as exc:
            raise ProcoreConnectionError(None, f"login host unreachable: {type(exc).__name__}") from None
        if response.status_code == 200:
            return response
        error = from_response(response.status_code, response.text, response.headers)
        code = error.body.get("error") if isinstance(error.body, dict) else None
        if code == "invalid_grant":
            raise ProcoreInvalidGrant(response.status_code, error.message, error.fields, error.body)
        if code in ("invalid_client", "unauthorized_client"):
            raise ProcoreAuthError(response.status_code, error.message, error.fields, error.body)
        raise error
