"""The floor of API calls per kind: the fewest calls the two APIs allow for the work a phase did.

Limits (reference/*.md): Xero writes ≤ 50 records per call (what the connector batches; Xero itself
accepts more, but larger batches fail as a whole more often), Xero pages ≤ 1000 (pageSize); Procore
pages ≤ 1000 (the largest per_page the sandbox honours) and sync actions ≤ 1000 records per call.

Inputs: `n` = record counts of both sandboxes at the start of the phase (table → rows), `w` = records
the phase wrote per side (`xero`, `procore`), `incremental` = a run after the first (then reads cost one
call per polled resource: changes since the cursor fit a page; a listing is asked at least once).
A kind this module does not know yet gets None (reported as "n/a"), so new kinds never break a run.
"""

from __future__ import annotations

from math import ceil

XERO_BATCH, XERO_PAGE, PROCORE_PAGE, PROCORE_SYNC = 50, 1000, 1000, 1000


def pages(count: int, size: int) -> int:
    return max(1, ceil(count / size))  # an empty listing still costs the one call that says so


def batches(count: int, size: int) -> int:
    return ceil(count / size)  # nothing to write costs nothing


def _projects(n: dict) -> int:
    return n.get("projects", 0)


def floor(kind: str, n: dict, w: dict, incremental: bool = False) -> dict | None:
    """{"xero": calls, "procore": calls} for one kind in one phase, or None when the kind is unknown."""
    fn = FLOORS.get(kind)
    if fn is None:
        return None
    xero, procore = fn(n, w.get("xero", 0), w.get("procore", 0), incremental)
    return {"xero": xero, "procore": procore}


# Each: (counts, xero records written, procore records written, incremental) → (xero floor, procore floor).
FLOORS = {
    # Procore: the ERP cost code list (1) + its codes (pages) + line item types (1); Xero: items in batches.
    "cost_code": lambda n, wx, wp, inc: (
        batches(wx, XERO_BATCH),
        1 + pages(n.get("standard_cost_codes", 0), PROCORE_PAGE) + 1),
    # Procore: projects (pages) + origin_id stamps (sync batches); Xero: tracking categories (1) + one call
    # per option written: Xero's API creates (and renames, archives) options one at a time.
    "project": lambda n, wx, wp, inc: (
        1 + wx,
        pages(_projects(n), PROCORE_PAGE) + batches(wp, PROCORE_SYNC)),
    # Both sides polled: vendors (pages) and contacts (pages); writes in batches on each side.
    "vendor": lambda n, wx, wp, inc: (
        (1 if inc else pages(n.get("Contacts", 0), XERO_PAGE)) + batches(wx, XERO_BATCH),
        (1 if inc else pages(n.get("vendors", 0), PROCORE_PAGE)) + batches(wp, PROCORE_SYNC)),
    # Procore lists contracts per project and type (2 per project); each written contract's lines come
    # only with its detail (1 each). Xero: purchase orders in batches.
    "commitment": lambda n, wx, wp, inc: (
        batches(wx, XERO_BATCH),
        pages(_projects(n), PROCORE_PAGE) + 2 * _projects(n) + wx),
    # Procore: change order packages per project (1 each); Xero: the POs they extend, read (pages: an
    # append must resend the PO's current lines) and written in batches.
    "change_order": lambda n, wx, wp, inc: (
        (pages(n.get("PurchaseOrders", 0), XERO_PAGE) if wx else 0) + batches(wx, XERO_BATCH),
        pages(_projects(n), PROCORE_PAGE) + _projects(n)),
    # Procore: requisitions per project (1 each); Xero: bills in batches.
    "invoice": lambda n, wx, wp, inc: (
        batches(wx, XERO_BATCH),
        pages(_projects(n), PROCORE_PAGE) + _projects(n)),
    # Xero spend: bills, spend money and manual journals (pages each); Procore: direct cost headers and
    # their line items, two sync calls per batch.
    "job_cost": lambda n, wx, wp, inc: (
        (3 if inc else pages(n.get("Invoices", 0), XERO_PAGE) + pages(n.get("BankTransactions", 0), XERO_PAGE)
         + pages(n.get("ManualJournals", 0), XERO_PAGE)),
        2 * batches(wp, PROCORE_SYNC)),
    # Xero payments (pages); Procore contract payments have no sync action: one create each.
    "payment": lambda n, wx, wp, inc: (
        1 if inc else pages(n.get("Payments", 0), XERO_PAGE),
        wp),
}
