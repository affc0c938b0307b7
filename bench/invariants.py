"""What both sandboxes hold at the end of a run, keyed so two runs of one dataset can be compared.

Keys are what stays the same between runs of one (size, seed): item codes, contact names, PO and bill
references, option names, and for records written to Procore the name or the Xero id they carry.
"""

from __future__ import annotations

from collections import Counter

from .remote import Sandbox

FINAL = ("synced", "failed", "rejected", "archived")  # states nobody has to wait for


def _tenant(rows: list, tenant: str) -> list:
    return [r for r in rows if r.get("_tenant") in (None, tenant)]


def snapshot(procore: Sandbox, xero: Sandbox, tenant: str, keep_out: dict | None = None) -> dict[str, list[str]]:
    """resource → the keys of the records the connector is responsible for (a key twice = a duplicate).
    `keep_out`: {"commitments": [Procore ids]} whose POs an open race decides (bench.chaos_people)."""
    raced = {f"Procore {i}" for i in (keep_out or {}).get("commitments", [])}
    out: dict[str, list[str]] = {}
    out["xero Items"] = [i["Code"] for i in _tenant(xero.data("Items"), tenant)]
    out["xero Contacts"] = [c["Name"].casefold() for c in _tenant(xero.data("Contacts"), tenant)
                            if c.get("ContactStatus", "ACTIVE") == "ACTIVE"]
    out["xero PurchaseOrders"] = [p.get("Reference") or "" for p in _tenant(xero.data("PurchaseOrders"), tenant)
                                  if p.get("Status") != "DELETED"
                                  and not any((p.get("Reference") or "").endswith(mark) for mark in raced)]
    out["xero Bills"] = [f"{b.get('InvoiceNumber')}|{b.get('Reference')}" for b in
                         _tenant(xero.data("Invoices"), tenant) if b.get("Type") == "ACCPAY"
                         and b.get("Status") not in ("DELETED", "VOIDED")]
    out["xero Job options"] = [o["Name"] for c in _tenant(xero.data("TrackingCategories"), tenant)
                               if c.get("Name") == "Job" for o in c.get("Options") or []]
    out["procore projects (ours)"] = [p["name"] for p in procore.data("projects") if p.get("origin_id")]
    out["procore vendors (ours)"] = [v["name"].casefold() for v in procore.data("vendors") if v.get("origin_id")]
    for table in ("direct_costs", "contract_payments"):
        out[f"procore {table} (ours)"] = [r["origin_id"] for r in procore.data(table)
                                          if r.get("origin_id") and not r.get("deleted_at")]
    return out


def link_states(connection) -> dict[str, dict[str, int]]:
    from connector.models import Link

    states: dict[str, Counter] = {}
    for kind, state in Link.objects.filter(connection=connection).values_list("kind", "state"):
        states.setdefault(kind, Counter())[state] += 1
    return {k: dict(v) for k, v in states.items()}


def compare(expected: dict, actual: dict) -> dict:
    """Duplicates, missing and unexpected records per resource, and records not in a final state."""
    out = {"duplicates": {}, "missing": {}, "unexpected": {}}
    for resource in expected["records"]:
        want, got = Counter(expected["records"][resource]), Counter(actual["records"].get(resource, []))
        dup = {k: n for k, n in got.items() if n > 1}
        missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
        for name, value in (("duplicates", dup), ("missing", missing), ("unexpected", extra)):
            if value:
                out[name][resource] = value
    # Xero-only records "ready to import" wait for a person by design: only what the clean run did not
    # leave waiting counts (and anything still "exporting", always).
    out["not_final"] = {}
    for kind, states in actual["links"].items():
        base = expected["links"].get(kind, {})
        extra = {s: n - (0 if s == "exporting" else base.get(s, 0)) for s, n in states.items() if s not in FINAL}
        extra = {s: n for s, n in extra.items() if n > 0}
        if extra:
            out["not_final"][kind] = extra
    out["counts"] = {name: sum(len(v) if isinstance(v, (list, dict)) else 1 for v in out[name].values())
                     for name in ("duplicates", "missing", "unexpected")}
    out["counts"]["not_final"] = sum(sum(v.values()) for v in out["not_final"].values())
    return out
