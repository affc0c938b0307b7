"""Stored rows → the JSON Procore serves (nested objects, computed totals as strings)."""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal
from urllib.parse import quote

from flask import g, request

from .seed import money

INTERNAL = {"company_id", "holder_type", "holder_id", "contract_table", "line_item_type_ids", "attachment_ids"}


def strip(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in INTERNAL}


def _index(state, table: str, key: str) -> dict:
    """Per-request index (rows by a foreign key) so list pages stay linear on the medium dataset."""
    cache = g.setdefault("indexes", {})
    if (table, key) not in cache:
        index: dict = {}
        for row in state.table(table).values():
            index.setdefault(row.get(key), []).append(row)
        cache[(table, key)] = index
    return cache[(table, key)]


def project(state, row):
    out = strip(row)
    name = next((c["name"] for c in state.companies if c["id"] == row["company_id"]), None)
    out["company"] = {"id": row["company_id"], "name": name}
    return out


def vendor(state, row):
    return strip(row)


def plain(state, row):
    return strip(row)


def cost_code_ref(state, cost_code_id):
    cc = state.table("cost_codes").get(cost_code_id)
    if not cc:
        return None
    return {
        "id": cc["id"],
        "name": cc["name"],
        "code": cc["code"],
        "full_code": cc["full_code"],
        "origin_id": cc["origin_id"],
        "standard_cost_code_id": cc.get("standard_cost_code_id"),
    }


def line_item_type_ref(state, lit_id):
    lit = state.table("line_item_types").get(lit_id)
    return (
        {k: lit[k] for k in ("id", "name", "code", "base_type", "origin_id", "origin_data")} if lit else None
    )


def cost_code(state, row):
    out = strip(row)
    out["line_item_types"] = [line_item_type_ref(state, i) for i in row.get("line_item_type_ids", [])]
    out.update(
        {
            "sortable_code": row["full_code"],
            "parent": {"id": None},
            "biller": None,
            "biller_id": row["project_id"],
            "biller_type": "Project",
            "budgeted": False,
            "deleted_at": None,
        }
    )
    return out


def line_item(state, row):
    out = strip(row)
    out["cost_code"] = cost_code_ref(state, row.get("cost_code_id"))
    out["line_item_type"] = line_item_type_ref(state, row.get("line_item_type_id"))
    out["holder"] = {"id": row["holder_id"], "holder_type": row["holder_type"]}
    out["total_amount"] = out["extended_amount"] = row.get("amount")
    return out


def _sum(rows, field) -> Decimal:
    return sum((Decimal(r[field]) for r in rows if r.get(field) not in (None, "")), Decimal(0))


def contract(state, row, detail: bool = False):
    out = strip(row)
    v = state.table("vendors").get(row.get("vendor_id"))
    p = state.table("projects").get(row["project_id"])
    out["vendor"] = (
        {"id": v["id"], "company": v["name"], "origin_id": v["origin_id"], "origin_data": v["origin_data"]}
        if v
        else None
    )
    out["project"] = {"id": p["id"], "name": p["name"]} if p else None
    lines = _index(state, "commitment_line_items", "holder_id").get(row["id"], [])
    packages = [
        c
        for c in _index(state, "change_order_packages", "contract_id").get(row["id"], [])
        if not c.get("deleted_at")
    ]
    payments = _index(state, "contract_payments", "contract_id").get(row["id"], [])
    invoices = _index(state, "requisitions", "commitment_id").get(row["id"], [])
    grand = _sum(lines, "amount")
    approved = _sum([c for c in packages if c["status"] == "approved"], "grand_total")
    pending = _sum([c for c in packages if c["status"] in ("pending", "pricing", "revised")], "grand_total")
    draft = _sum([c for c in packages if c["status"] == "draft"], "grand_total")
    paid = _sum(payments, "amount")
    revised = grand + approved
    out.update(
        {
            "grand_total": money(grand),
            "approved_change_orders": money(approved),
            "pending_change_orders": money(pending),
            "draft_change_orders_amount": money(draft),
            "revised_contract": money(revised),
            "pending_revised_contract": money(revised + pending),
            "total_payments": money(paid),
            "remaining_balance_outstanding": money(revised - paid),
            "percentage_paid": str(
                (paid / revised * 100).quantize(Decimal("0.01")) if revised else Decimal("0.00")
            ),
            "total_requisitions_amount": money(
                sum((Decimal(i["summary"]["current_payment_due"]) for i in invoices), Decimal(0))
            ),
            "currency_configuration": {"currency_iso_code": "USD"},
        }
    )
    if detail:
        out["line_items"] = [line_item(state, li) for li in sorted(lines, key=lambda li: li["position"])]
        out["change_order_packages"] = [change_order_package(state, c, with_lines=False) for c in packages]
        out["payments_issued"] = [strip(pay) for pay in payments]
    return out


def change_order_package(state, row, with_lines: bool = True):
    out = strip(row)
    if with_lines:
        out["line_items"] = [
            {
                **li,
                "cost_code": cost_code_ref(state, li.get("cost_code_id")),
                "line_item_type": line_item_type_ref(state, li.get("line_item_type_id")),
            }
            for li in row.get("line_items", [])
        ]
    else:
        out.pop("line_items", None)
    return out


def commitment_change_order(state, row):
    return strip(row)


def requisition(state, row, with_items: bool = True):
    out = strip(row)
    if not with_items:
        out.pop("items", None)
    out["currency_configuration"] = {
        "currency_iso_code": "USD",
        "currency_exchange_rate": 1.0,
        "base_currency_iso_code": "USD",
    }
    out["total_claimed_amount"] = row["summary"]["current_payment_due"]
    out["attachments"] = [attachment(state, fid) for fid in row.get("attachment_ids", [])]
    return out


def storage_signature(state, file_id) -> str:
    return hmac.new(state.storage_key, str(file_id).encode(), hashlib.sha256).hexdigest()[:32]


def attachment(state, file_id) -> dict:
    """{id, filename, content_type, url}: the url is a signed storage link (no bearer token needed)."""
    f = state.table("files")[file_id]
    url = (f"{request.host_url}storage/{f['id']}/{quote(f['filename'])}"
           f"?sig={storage_signature(state, f['id'])}")
    return {"id": f["id"], "filename": f["filename"], "content_type": f["content_type"], "url": url}


def direct_cost(state, row, detail: bool | None = None):
    if detail is None:  # only the list serializer is the short one; create/update answer the show shape
        detail = not (request.method == "GET" and request.url_rule.rule.endswith("/direct_costs"))
    out = strip(row)
    lines = _index(state, "direct_cost_line_items", "direct_cost_id").get(row["id"], [])
    v = state.table("vendors").get(row.get("vendor_id"))
    # The list serializer has vendor as the name (a string) and `amount`; the show one nests {id, name}.
    out["vendor"] = ({"id": v["id"], "name": v["name"]} if detail else v["name"]) if v else None
    out["vendor_name"] = v["name"] if v else None
    out["grand_total"] = money(_sum(lines, "amount"))
    if not detail:
        out["amount"] = out["grand_total"]
    out["line_items_count"] = len(lines)
    if detail:
        out["line_items"] = [direct_cost_line(state, li) for li in lines]
    return out


def direct_cost_line(state, row):
    out = strip(row)
    out["cost_code"] = cost_code_ref(state, row.get("cost_code_id"))
    out["line_item_type"] = line_item_type_ref(state, row.get("line_item_type_id"))
    return out
