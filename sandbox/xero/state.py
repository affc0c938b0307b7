"""In-memory Xero: one table per resource, rows tagged with their tenant, plus auth/limits/keys/webhooks.

Rows are the JSON Xero returns plus private `_keys` (`_tenant`, `_updated`, `_app`) that never leave
the emulator. OAuth grants survive `reset` (a demo keeps its connection when the data is reseeded).
"""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

from sandbox.core.state import SandboxState

from .formats import msdate
from .idempotency import IdempotencyCache
from .limits import RateLimiter
from .oauth_store import AuthStore
from .webhooks import Webhooks

RESOURCES = (
    "Organisation",
    "Accounts",
    "TaxRates",
    "Items",
    "TrackingCategories",
    "Contacts",
    "PurchaseOrders",
    "Invoices",
    "CreditNotes",
    "Payments",
    "BatchPayments",
    "BankTransactions",
    "ManualJournals",
    "Attachments",
)
ID_FIELDS = {
    "Organisation": "OrganisationID",
    "Accounts": "AccountID",
    "TaxRates": "TaxType",
    "Items": "ItemID",
    "TrackingCategories": "TrackingCategoryID",
    "Contacts": "ContactID",
    "PurchaseOrders": "PurchaseOrderID",
    "Invoices": "InvoiceID",
    "CreditNotes": "CreditNoteID",
    "Payments": "PaymentID",
    "BatchPayments": "BatchPaymentID",
    "BankTransactions": "BankTransactionID",
    "ManualJournals": "ManualJournalID",
    "Attachments": "AttachmentID",
}
WEBHOOK_CATEGORIES = {"Contacts": "CONTACT", "Invoices": "INVOICE", "CreditNotes": "CREDITNOTE"}


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return float(value) if isinstance(value, Decimal) else value


class XeroState(SandboxState):
    name = "xero"

    def __init__(self, size: str = "small", seed: int = 1, persist_path: Path | None = None, tenants: int = 1) -> None:
        # Built before super().__init__, which resets (and so seeds) straight away.
        self.offset = 0.0  # seconds added by POST /_sandbox/clock/advance
        self.auth = AuthStore(self)
        self.limits = RateLimiter(self)
        self.idempotency = IdempotencyCache(self)
        self.webhooks = Webhooks(self)
        self.contract_violations: list[str] = []
        self.organisations: list[dict] = []
        super().__init__(size=size, seed=seed, persist_path=persist_path, tenants=tenants)

    def seed(self, size: str, seed: int) -> None:
        from .seed import seed_all

        self.offset = 0.0
        self.limits.clear()
        self.idempotency.clear()
        self.webhooks.reset()  # a reset also forgets the webhook subscription (tests stay independent)
        seed_all(self, size, seed)

    # -- persistence: OAuth grants travel with the data so a restarted demo stays connected ---------
    def save(self) -> None:
        with self.lock:
            self.tables["_auth"] = {"grants": self.auth.export()}
            try:
                super().save()
            finally:
                self.tables.pop("_auth", None)

    def load(self) -> bool:
        loaded = super().load()
        with self.lock:
            auth = self.tables.pop("_auth", None)
            if loaded and auth:
                self.auth.restore(auth["grants"])
        return loaded

    def dump(self, resource: str) -> list:
        """Rows for /_sandbox/data with amounts as JSON numbers (the base class writes Decimals as strings)."""
        with self.lock:
            return [_plain(row) for row in self.table(resource).values()]

    def _tables_for_json(self) -> dict:
        """Money stays numeric in var/ (the base class would write Decimals as strings)."""
        return {name: [(key, _plain(row)) for key, row in rows.items()] for name, rows in self.tables.items()}

    # -- clocks ----------------------------------------------------------------------------------
    def now(self) -> float:
        """Wall clock (token lifetimes, UpdatedDateUTC), movable by /_sandbox/clock/advance."""
        return time.time() + self.offset

    def limit_now(self) -> float:
        """Rate-limit clock: runs at `clock_speed`, also moved by /_sandbox/clock/advance."""
        return self.clock.now() + self.offset

    # -- tenants and rows ------------------------------------------------------------------------
    def tenant_ids(self) -> list[str]:
        return [org["tenantId"] for org in self.organisations]

    def organisation(self, tenant: str) -> dict | None:
        return next((o for o in self.organisations if o["tenantId"] == tenant), None)

    def rows(self, kind: str, tenant: str) -> list[dict]:
        with self.lock:
            return [row for row in self.table(kind).values() if row["_tenant"] == tenant]

    def get(self, kind: str, tenant: str, record_id: str) -> dict | None:
        row = self.table(kind).get(str(record_id).lower()) if record_id else None
        return row if row is not None and row["_tenant"] == tenant else None

    def put(
        self, kind: str, tenant: str, row: dict, created: bool, stamp: float | None = None, data: dict | None = None
    ) -> dict:
        """Store a row, stamp UpdatedDateUTC, and queue the webhook event Xero would send (`data`: what a
        CREDITNOTE event carries besides the id)."""
        stamp = self.now() if stamp is None else stamp
        row["_tenant"], row["_updated"] = tenant, stamp
        row["UpdatedDateUTC"] = msdate(stamp)
        self.table(kind)[str(row[ID_FIELDS[kind]]).lower()] = row
        if kind in WEBHOOK_CATEGORIES:
            self.webhooks.queue(tenant, WEBHOOK_CATEGORIES[kind], kind, row[ID_FIELDS[kind]], created, data)
        return row
