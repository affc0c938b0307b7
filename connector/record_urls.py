"""Where a person opens a linked record in Procore's and in Xero's own web app, built from the link alone (no
remote call): the paths are the ones each web app shows in the browser's address bar for that record."""

from __future__ import annotations

from django.conf import settings

from .models import Kind, Link

XERO_APP_URL = "https://go.xero.com"
# Each organisation's currency follows its country (Xero's base currency for US and Canadian organisations).
CURRENCIES = {"US": "USD", "CA": "CAD", "AU": "AUD", "NZ": "NZD", "GB": "GBP"}


def currency_of(connection) -> str:
    return CURRENCIES.get((connection.xero_country or "").upper(), "")


def money(amount, currency: str = "") -> str:
    """An amount as people read it: "USD 12,500.00"."""
    if amount is None:
        return "—"
    return f"{currency} {amount:,.2f}".strip()


def procore_url(link: Link) -> str:
    if not link.procore_id:
        return ""
    base = getattr(settings, "PROCORE_APP_URL", "https://app.procore.com").rstrip("/")
    company = link.connection.procore_company_id
    project = link.project_id
    paths = {
        Kind.PROJECT: f"/{link.procore_id}/project/home",
        Kind.VENDOR: f"/{company}/company/directory/vendors/{link.procore_id}",
        Kind.COST_CODE: f"/{company}/company/admin/cost_codes",
        Kind.COMMITMENT: f"/{project}/project/commitments/{link.procore_id}" if project else "",
        Kind.CHANGE_ORDER: f"/{project}/project/commitments/{link.parent_id}/change_orders" if project else "",
        Kind.INVOICE: (f"/{project}/project/commitments/{link.parent_id}/invoices/{link.procore_id}"
                       if project and link.parent_id else ""),
        Kind.JOB_COST: f"/{project}/project/direct_costs/{link.procore_id}" if project else "",
    }
    path = paths.get(link.kind, "")
    return f"{base}{path}" if path else ""


def xero_url(link: Link) -> str:
    if not link.xero_id:
        return ""
    paths = {
        Kind.COMMITMENT: f"/Accounts/Payable/PurchaseOrders/Edit/{link.xero_id}/",
        Kind.CHANGE_ORDER: f"/Accounts/Payable/PurchaseOrders/Edit/{link.xero_id}/",
        Kind.INVOICE: f"/AccountsPayable/View.aspx?InvoiceID={link.xero_id}",
        Kind.VENDOR: f"/Contacts/View/{link.xero_id}",
        Kind.COST_CODE: f"/Accounts/Inventory/{link.xero_id}",
        Kind.JOB_COST: f"/Bank/ViewTransaction.aspx?bankTransactionID={link.xero_id}",
        Kind.PROJECT: "/Setup/Tracking.aspx",
    }
    path = paths.get(link.kind, "")
    return f"{XERO_APP_URL}{path}" if path else ""
