"""OAuth 2.0 grants of the emulated Xero identity service: clients, codes, tokens, connections.

Sandbox convenience: the default client accepts the redirect path `/oauth/xero/callback/` on ANY
loopback origin (http://127.0.0.1:<port> or http://localhost:<port>); real Xero wants exact URIs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime
from urllib.parse import urlsplit

CLIENT_ID = "sandbox-xero-client"
CLIENT_SECRET = "sandbox-xero-secret"
CUSTOM_CLIENT_ID = "sandbox-xero-custom-connection"  # client_credentials, bound to one organisation
CUSTOM_CLIENT_SECRET = "sandbox-xero-custom-secret"
CONSOLE_CLIENT_ID = "sandbox-console"  # the /_sandbox/ console acting as a Xero user, through the API
WEBHOOK_KEY = "sandbox-xero-webhook-key"
REDIRECT_PATH = "/oauth/xero/callback/"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")

ACCOUNTING_SCOPES = [
    "accounting.settings",
    "accounting.contacts",
    "accounting.invoices",
    "accounting.payments",
    "accounting.banktransactions",
    "accounting.manualjournals",
    "accounting.attachments",
    "accounting.transactions",
    "accounting.journals",
]
KNOWN_SCOPES = set(
    [
        "openid",
        "profile",
        "email",
        "offline_access",
        "accounting.reports.read",
        "accounting.reports.profitandloss.read",
    ]
    + ACCOUNTING_SCOPES
    + [s + ".read" for s in ACCOUNTING_SCOPES]
)
REFRESH_GRACE_S = 30 * 60
REFRESH_LIFETIME_S = 60 * 86400
CODE_LIFETIME_S = 5 * 60
_SIGNING_KEY = b"sandbox-xero-token-signing"


def iso(ts: float) -> str:
    # Real Xero omits the offset ("…T18:46:19.5165400"), which its own spec's date-time format rejects;
    # the sandbox follows the contract (clients must parse both anyway).
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def loopback_redirect_ok(uri: str) -> bool:
    parts = urlsplit(uri or "")
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS and parts.path == REDIRECT_PATH


class AuthStore:
    def __init__(self, state) -> None:
        self.state = state
        self.codes: dict[str, dict] = {}
        self.access: dict[str, dict] = {}
        self.refresh: dict[str, dict] = {}
        self.connections: dict[str, list[dict]] = {}

    def clients(self) -> list[dict]:
        return [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "grant_types": ["authorization_code", "refresh_token"],
                "redirect_uris": [
                    f"http://127.0.0.1:<any port>{REDIRECT_PATH}",
                    f"http://localhost:<any port>{REDIRECT_PATH}",
                ],
                "tenant_ids": self.state.tenant_ids(),
            },
            {
                "client_id": CUSTOM_CLIENT_ID,
                "client_secret": CUSTOM_CLIENT_SECRET,
                "grant_types": ["client_credentials"],
                "redirect_uris": [],
                "tenant_ids": self.state.tenant_ids()[:1],
            },
        ]

    def client(self, client_id: str | None, secret: str | None = None) -> dict | None:
        found = next((c for c in self.clients() if c["client_id"] == client_id), None)
        if found and secret is not None and not hmac.compare_digest(found["client_secret"], secret):
            return None
        return found

    # -- codes and tokens ------------------------------------------------------------------------
    def new_code(self, client_id: str, redirect_uri: str, scopes: list[str], tenant_ids: list[str]) -> str:
        code = secrets.token_urlsafe(24)
        auth_event_id = self.state.webhooks.uuid()
        with self.state.lock:
            self.codes[code] = {
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scopes": scopes,
                "auth_event_id": auth_event_id,
                "expires": self.state.now() + CODE_LIFETIME_S,
            }
            self._connect(client_id, tenant_ids, auth_event_id)
        return code

    def _connect(self, client_id: str, tenant_ids: list[str], auth_event_id: str) -> None:
        now = iso(self.state.now())
        current = self.connections.setdefault(client_id, [])
        for tenant in tenant_ids:
            org = self.state.organisation(tenant)
            existing = next((c for c in current if c["tenantId"] == tenant), None)
            if existing:
                existing.update(authEventId=auth_event_id, updatedDateUtc=now)
                continue
            current.append(
                {
                    "id": self.state.webhooks.uuid(),
                    "authEventId": auth_event_id,
                    "tenantId": tenant,
                    "tenantType": "ORGANISATION",
                    "tenantName": org["Name"] if org else tenant,
                    "createdDateUtc": now,
                    "updatedDateUtc": now,
                }
            )

    def issue(self, client_id: str, scopes: list[str], auth_event_id: str, with_refresh: bool) -> dict:
        now = self.state.now()
        ttl = int(self.state.faults.access_token_ttl_s)
        claims = {
            "client_id": client_id,
            "authentication_event_id": auth_event_id,
            "exp": int(now + ttl),
            "scope": scopes,
            "xero_userid": "00000000-0000-4000-8000-00000000d00d",
            "jti": secrets.token_hex(8),
        }
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims).encode())
        sig = _b64(hmac.new(_SIGNING_KEY, f"{head}.{body}".encode(), hashlib.sha256).digest())
        access = f"{head}.{body}.{sig}"
        with self.state.lock:
            self.access[access] = {
                "client_id": client_id,
                "scopes": scopes,
                "expires": now + ttl,
                "auth_event_id": auth_event_id,
                "revoked": False,
            }
            token = {
                "access_token": access,
                "expires_in": ttl,
                "token_type": "Bearer",
                "scope": " ".join(scopes),
            }
            if with_refresh:
                refresh = secrets.token_urlsafe(32)
                self.refresh[refresh] = {
                    "client_id": client_id,
                    "scopes": scopes,
                    "auth_event_id": auth_event_id,
                    "issued": now,
                    "used_at": None,
                    "revoked": False,
                }
                token["refresh_token"] = refresh
            if "openid" in scopes:
                token["id_token"] = (
                    f"{head}.{_b64(json.dumps({'sub': claims['xero_userid']}).encode())}.{sig}"
                )
        return token

    def redeem_code(self, code: str, client_id: str, redirect_uri: str) -> dict | None:
        with self.state.lock:
            grant = self.codes.pop(code, None)
        if not grant or grant["client_id"] != client_id or grant["redirect_uri"] != redirect_uri:
            return None
        if grant["expires"] < self.state.now():
            return None
        return self.issue(
            client_id, grant["scopes"], grant["auth_event_id"], "offline_access" in grant["scopes"]
        )

    def rotate(self, refresh_token: str, client_id: str) -> dict | None:
        """Single-use refresh tokens; the previous one still works for 30 minutes (lost responses)."""
        with self.state.lock:
            grant = self.refresh.get(refresh_token)
            now = self.state.now()
            if not grant or grant["client_id"] != client_id or grant["revoked"]:
                return None
            if now - grant["issued"] > REFRESH_LIFETIME_S:
                return None
            if grant["used_at"] is not None and now - grant["used_at"] > REFRESH_GRACE_S:
                return None
            if grant["used_at"] is None:
                grant["used_at"] = now
            return self.issue(client_id, grant["scopes"], grant["auth_event_id"], True)

    def revoke_client(self, client_id: str | None = None) -> int:
        """Revoke every token (of one client or all) and drop its connections: 'needs re-authorisation'."""
        count = 0
        with self.state.lock:
            for table in (self.access, self.refresh):
                for grant in table.values():
                    if client_id in (None, grant["client_id"]) and not grant["revoked"]:
                        grant["revoked"], count = True, count + 1
            for cid in list(self.connections):
                if client_id in (None, cid):
                    self.connections[cid] = []
        return count

    def expire_access_tokens(self) -> int:
        with self.state.lock:
            for grant in self.access.values():
                grant["expires"] = min(grant["expires"], self.state.now() - 1)
            return len(self.access)

    def export(self) -> dict:
        with self.state.lock:
            return {
                "access": dict(self.access),
                "refresh": dict(self.refresh),
                "connections": dict(self.connections),
            }

    def restore(self, saved: dict) -> None:
        with self.state.lock:
            self.access, self.refresh = dict(saved["access"]), dict(saved["refresh"])
            self.connections = dict(saved["connections"])

    # -- checks on API calls ---------------------------------------------------------------------
    def bearer(self, header: str | None) -> dict | None:
        if not header or not header.lower().startswith("bearer "):
            return None
        grant = self.access.get(header[7:].strip())
        if not grant or grant["revoked"] or grant["expires"] <= self.state.now():
            return None
        return grant

    def tenants_for(self, grant: dict) -> list[dict]:
        if grant["client_id"] in (CUSTOM_CLIENT_ID, CONSOLE_CLIENT_ID):
            orgs = (
                self.state.organisations[:1]
                if grant["client_id"] == CUSTOM_CLIENT_ID
                else self.state.organisations
            )
            now = iso(self.state.now())
            return [
                {
                    "id": org["tenantId"],
                    "authEventId": grant["auth_event_id"],
                    "tenantId": org["tenantId"],
                    "tenantType": "ORGANISATION",
                    "tenantName": org["Name"],
                    "createdDateUtc": now,
                    "updatedDateUtc": now,
                }
                for org in orgs
            ]
        return list(self.connections.get(grant["client_id"], []))

    def console_token(self) -> str:
        return self.issue(CONSOLE_CLIENT_ID, sorted(KNOWN_SCOPES), self.state.webhooks.uuid(), False)[
            "access_token"
        ]
