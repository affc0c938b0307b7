"""The floor of API calls per sync run: the fewest calls the two APIs allow for the work the run did.

Limits (reference/*.md): Xero writes ≤ 50 records per call (what the connector batches; Xero itself
accepts more, but larger batches fail as a whole more often), Xero pages ≤ 1000 (pageSize); Procore
pages ≤ 1000 (the largest per_page the sandbox honours) and sync actions ≤ 1000 records per call.

A phase's floor is the sum of its runs' floors. The initial phase takes several passes (an accountant
accepts the approval queue between them), so its floor is one full read, then one poll per polled
resource in each later pass, plus the writes; the measure the targets use for incremental runs.

Inputs of one run:
- `n`: both sandboxes' record counts (table → rows) at the run's start, plus `synced_projects`: the
  projects with a tracking option in Xero then (the only ones whose financial records can be exported).
- `w`: what the run wrote: `xero` / `procore` records, `updated` (of those, edits of records already in
  Xero), `documents` (distinct Xero documents written: change orders share their PO), `projects` (distinct
  Procore projects written: direct costs are synced per project), `judged_projects` (distinct projects of the
  records written or refused: a job cost is mapped on its project's cost codes).
- `incremental`: the kind read before for this connection (it has a cursor): a listing then costs one
  call (what changed since fits a page), the measure the targets use.
A kind this module does not know yet gets None (reported as "n/a"), so new kinds never break a run.

Why each floor is the least the platforms allow (specs/procore, specs/xero): every listing below is the only
endpoint that serves its records, at its largest page; every write goes in the batches of the Limits above.
Procore serves a commitment's lines one contract at a time only: with the contract's detail, with its
`…/{contract_id}/line_items` list, or with v2.0's `commitment_contracts/{id}/line_items` — the contract has no
per-project or per-company list of commitment lines (direct costs have one; commitments do not), and the
lists' answer schema carries no lines. So one call per written commitment is the floor; a commitment
that is not written (a draft, one waiting for its vendor or for approval) costs no line read.
"""

from __future__ import annotations

from math import ceil

XERO_BATCH, XERO_PAGE, PROCORE_PAGE, PROCORE_SYNC = 50, 1000, 1000, 1000


def pages(count: int, size: int) -> int:
    return max(1, ceil(count / size))  # an empty listing still costs the one call that says so


def batches(count: int, size: int) -> int:
    return ceil(count / size)  # nothing to write costs nothing


def floor(kind: str, n: dict, w: dict, incremental: bool = False) -> dict | None:
    """{"xero": calls, "procore": calls} for one run of one kind, or None when the kind is unknown."""
    fn = FLOORS.get(kind)
    if fn is None:
        return None
    xero, procore = fn(n, {"xero": 0, "procore": 0, "updated": 0, "documents": 0, "projects": 0, "attachments": 0,
                           "judged_projects": 0, **w}, incremental)
    return {"xero": xero, "procore": procore}


def _listing(n: dict, table: str, size: int, incremental: bool) -> int:
    return 1 if incremental else pages(n.get(table, 0), size)


def _po_reads(n: dict, documents: int) -> int:
    """Writing to an existing PO resends its current lines: read them, by id or by page, whichever is fewer."""
    return min(documents, pages(n.get("PurchaseOrders", 0), XERO_PAGE)) if documents else 0


# Each: (counts, written, incremental) → (xero floor, procore floor). Records new in Xero are stamped in
# Procore with their origin (sync.stamps): commitments by sync action (one call per project and type at
# least), packages and invoices one PATCH each.
FLOORS = {
    # Procore: the ERP cost code list (1) + its codes (pages) + line item types (1), every run (a company-wide
    # list with no change filter); Xero: items in batches.
    "cost_code": lambda n, w, inc: (
        batches(w["xero"], XERO_BATCH),
        1 + pages(n.get("standard_cost_codes", 0), PROCORE_PAGE) + 1),
    # Xero: the tracking category with its options (1) + one call per option written (Xero's API creates,
    # renames and archives options one at a time); Procore: projects (pages) + origin_id stamps (sync batches).
    "project": lambda n, w, inc: (
        1 + w["xero"],
        _listing(n, "projects", PROCORE_PAGE, inc) + batches(w["xero"] - w["updated"], PROCORE_SYNC)),
    # Both sides polled: vendors (pages) and contacts (pages); contacts written in batches; Procore vendors
    # imported, or stamped with the id of the contact just made for them, through one sync action (batches).
    "vendor": lambda n, w, inc: (
        _listing(n, "Contacts", XERO_PAGE, inc) + batches(w["xero"], XERO_BATCH),
        _listing(n, "vendors", PROCORE_PAGE, inc)
        + batches(w["xero"] - w["updated"] + w["procore"], PROCORE_SYNC)),
    # Procore lists contracts per project and type (2 per synced project: the v1.0 lists take one type each;
    # v2.0's single list of both types is a beta outside our contract); a written contract's lines come one
    # contract per call (its detail, 1 each: no endpoint serves several contracts' lines). Xero: edits read
    # their POs, then purchase orders in batches.
    "commitment": lambda n, w, inc: (
        _po_reads(n, w["updated"]) + batches(w["xero"], XERO_BATCH),
        2 * n.get("synced_projects", 0) + w["xero"] + (1 if w["xero"] > w["updated"] else 0)),  # + origin stamps
    # Procore: change order packages per synced project (1 each), and a written package's lines, which come
    # only with its detail (1 each: the list carries none, and the contract gives no answer schema for the
    # project's commitment change order list, so nothing may rely on lines there); Xero: the POs they extend,
    # read (an append resends the PO's lines) and written in batches, one write per PO.
    "change_order": lambda n, w, inc: (
        _po_reads(n, w["documents"]) + batches(w["documents"], XERO_BATCH),
        n.get("synced_projects", 0) + 2 * w["xero"]),  # + each package stamped with its origin (one PATCH each)
    # Procore: requisitions per synced project (1 each) and each new bill's stamp (one PATCH each); Xero: the
    # lock dates before new bills (1), bills in batches, and one upload per file attached to a new bill. The
    # file's download is a signed link to Procore's file storage, not an API call: Procore does not count it.
    "invoice": lambda n, w, inc: (
        (1 if w["xero"] > w["updated"] else 0) + batches(w["xero"], XERO_BATCH) + w["attachments"],
        n.get("synced_projects", 0) + w["xero"] - w["updated"]),
    # Xero spend: bills, spend money and manual journals (pages each); Procore, when a document is mapped:
    # line item types (1) and the cost codes of each project it maps on (1: the ids lines need, and whether
    # its Item codes exist there), then per project written two sync calls (headers, then their lines).
    "job_cost": lambda n, w, inc: (
        sum(_listing(n, table, XERO_PAGE, inc) for table in ("Invoices", "BankTransactions", "ManualJournals")),
        (1 + w["judged_projects"] + 2 * w["projects"]) if w["judged_projects"] else 0),
    # Xero payments (pages), and when one is written its bank account's type (1: card or cheque in Procore);
    # Procore contract payments have no sync action: one create each.
    "payment": lambda n, w, inc: (
        _listing(n, "Payments", XERO_PAGE, inc) + (1 if w["procore"] else 0),
        w["procore"]),
}
