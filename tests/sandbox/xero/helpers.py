"""Helpers the Xero emulator and client tests share: connect through the real OAuth flow, raw calls."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests

from sandbox.datasets import XERO_ORGANISATIONS
from sandbox.xero import CLIENT_ID, CLIENT_SECRET
from xero_client import DEFAULT_SCOPES, XeroOAuth

US_TENANT = XERO_ORGANISATIONS[0]["tenantId"]
CA_TENANT = XERO_ORGANISATIONS[1]["tenantId"]
STARTER_TENANT = XERO_ORGANISATIONS[2]["tenantId"]
REDIRECT = "http://127.0.0.1:8000/oauth/xero/callback/"


def oauth_for(server, scopes=None) -> XeroOAuth:
    return XeroOAuth(
        server.url, server.url, server.url, CLIENT_ID, CLIENT_SECRET, REDIRECT, scopes or DEFAULT_SCOPES
    )


def consent(server, tenant: str = US_TENANT, scopes=None, decision: str = "allow") -> dict:
    """Walk the consent page as a person would; returns the callback's query parameters."""
    url = oauth_for(server, scopes).authorize_url("xyz")
    page = requests.get(url, timeout=5)
    assert page.status_code == 200, page.text
    answer = requests.post(
        url, data={"tenant_id": tenant, "decision": decision}, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 302, answer.text
    assert answer.headers["Location"].startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def connect(server, tenant: str = US_TENANT, scopes=None):
    """Authorisation-code flow end to end; returns the TokenSet."""
    return oauth_for(server, scopes).exchange_code(consent(server, tenant, scopes)["code"])


class Api:
    """Raw HTTP against the accounting API (for rules the SDK would not let us break)."""

    def __init__(self, server, token, tenant: str = US_TENANT) -> None:
        self.base = f"{server.url}/api.xro/2.0"
        self.headers = {
            "Authorization": f"Bearer {token.access_token}",
            "xero-tenant-id": tenant,
            "Accept": "application/json",
        }

    def call(self, method: str, path: str, headers: dict | None = None, **kwargs) -> requests.Response:
        return requests.request(
            method, self.base + path, headers={**self.headers, **(headers or {})}, timeout=10, **kwargs
        )

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def put(self, path, body, **kw):
        return self.call("PUT", path, json=body, **kw)

    def post(self, path, body, **kw):
        return self.call("POST", path, json=body, **kw)


def control(server, path: str, body: dict | None = None, method: str = "POST"):
    response = requests.request(method, f"{server.url}/_sandbox/{path}", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def take_violations(server) -> list[str]:
    """Read and clear the contract violations (for tests that break the contract on purpose)."""
    found = list(server.state.contract_violations)
    server.state.contract_violations.clear()
    return found
