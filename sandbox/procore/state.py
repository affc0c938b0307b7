"""In-memory Procore: tables of JSON-able dicts plus OAuth, rate-limit and webhook bookkeeping.

Tables (`state.tables[name]`, keyed by int id): projects, vendors, standard_cost_code_lists,
standard_cost_codes, line_item_types, cost_codes, work_order_contracts, purchase_order_contracts,
commitment_line_items, change_order_packages, commitment_change_orders, requisitions,
contract_payments, direct_costs, direct_cost_line_items, webhook_hooks, webhook_triggers,
webhook_events, webhook_deliveries. OAuth grants live in oauth_* tables so /_sandbox/data shows them.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sandbox.core.state import SandboxState
from sandbox.datasets import procore_companies

CLIENT_ID = "sandbox-procore-client"
CLIENT_SECRET = "sandbox-procore-secret"
CONSOLE_CLIENT_ID = "sandbox-console"  # the HTML console acts through the API with this client
SANDBOX_USER = {"id": 9100001, "login": "pat.manager@summit-ridge.example", "name": "Pat Manager"}

DEFAULT_SETTINGS = {
    "token_lifetime_s": 5400,  # access tokens; tests shorten it to exercise refresh
    "hourly_limit": 3600,
    "spike_limit": 25,  # per 10-second window, as documented
    "spike_window_s": 10,
    "max_per_page": 1000,  # the docs say "≤ 2,000 recommended"; we clamp at 1000
    "default_per_page": 100,
    "webhook_autodeliver": True,  # background delivery thread; tests may switch it off and flush
    "sync_max_items": 1000,
    # Procore also refuses sync bodies by size (413); the limit is not published, so a guess (README).
    "sync_max_bytes": 1_000_000,
    # Paging knobs for tests of clients that must never trust per_page: serve this many per page whatever
    # was asked (0: honour per_page up to max_per_page), and whether lists carry Link / Total headers.
    "page_size": 0,
    "link_headers": True,
    "total_headers": True,
}

# First id per table, so ids of different kinds never collide (easier to read in logs).
ID_BASE = {
    "projects": 2_800_000,
    "vendors": 3_100_000,
    "standard_cost_code_lists": 1_000,
    "standard_cost_codes": 5_500_000,
    "line_item_types": 7_700_000,
    "cost_codes": 6_000_000,
    "work_order_contracts": 8_100_000,
    "purchase_order_contracts": 8_600_000,
    "commitment_line_items": 9_000_000,
    "change_order_packages": 4_400_000,
    "commitment_change_orders": 4_700_000,
    "requisitions": 3_600_000,
    "requisition_items": 3_900_000,
    "contract_payments": 2_200_000,
    "direct_costs": 1_500_000,
    "direct_cost_line_items": 1_800_000,
    "files": 5_000_000_000,
    "webhook_hooks": 600_000,
    "webhook_triggers": 700_000,
    "webhook_events": 90_000_000,
    "webhook_deliveries": 95_000_000,
}


def utc_iso(dt: datetime | None = None) -> str:
    return (dt or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


class ProcoreState(SandboxState):
    name = "procore"

    def seed(self, size: str, seed: int) -> None:
        from .seed import seed_tables

        self.companies = procore_companies(self.tenants)
        self.ids: dict[str, int] = {}
        self.settings = dict(DEFAULT_SETTINGS)
        self.time_offset = 0.0  # seconds added to the clock by /_sandbox/webhooks/flush {"advance_s"}
        self.rate_windows: dict[str, dict] = {}
        self.exempt_clients = {CONSOLE_CLIENT_ID}
        self.storage_key = secrets.token_bytes(16)  # signs the storage URLs of attachments
        if not hasattr(self, "contract_violations"):
            self.contract_violations: list[str] = []
        self.oauth_clients = {
            CLIENT_ID: {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "name": "Procore ⇄ Xero Connector",
                "redirect_uris": [
                    "urn:ietf:wg:oauth:2.0:oob",
                    "http://127.0.0.1:*/oauth/procore/callback/",
                    "http://localhost:*/oauth/procore/callback/",
                ],
                "company_ids": self.company_ids(),
            },
        }
        for name in ("oauth_codes", "oauth_access_tokens", "oauth_refresh_tokens"):
            self.table(name)
        seed_tables(self, size, seed)

    def load(self) -> bool:
        """Saved tables come back; id counters continue after the largest id so new rows never collide."""
        loaded = super().load()
        if loaded:
            with self.lock:
                for name, rows in self.tables.items():
                    numeric = [k for k in rows if isinstance(k, int)]
                    if numeric:
                        self.ids[name] = max(max(numeric) + 1, ID_BASE.get(name, 0))
                items = [i["id"] for q in self.table("requisitions").values() for i in q.get("items", [])]
                if items:
                    self.ids["requisition_items"] = max(items) + 1
        return loaded

    # -- helpers used by every module ------------------------------------------------------------
    def now(self) -> float:
        """Virtual epoch seconds (rate limits, token expiry, webhook backoff)."""
        return self.clock.now() + self.time_offset

    def next_id(self, table: str) -> int:
        with self.lock:
            current = self.ids.get(table, ID_BASE.get(table, 100_000))
            self.ids[table] = current + 1
            return current

    def company_ids(self) -> list[int]:
        return [c["id"] for c in self.companies]

    def project(self, project_id) -> dict | None:
        try:
            return self.table("projects").get(int(project_id))
        except (TypeError, ValueError):
            return None
