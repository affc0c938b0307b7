"""Per-resource validation (422 field errors), defaults and derived fields."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import g, request

from .api import ApiError, body
from .seed import g702, money

REFS = {  # field → (table, scope field the referenced row must share)
    "vendor_id": ("vendors", "company_id"),
    "line_item_type_id": ("line_item_types", "company_id"),
    "cost_code_id": ("cost_codes", "project_id"),
    "standard_cost_code_list_id": ("standard_cost_code_lists", "company_id"),
}


def _company(state, row) -> int | None:
    if "company_id" in row:
        return row["company_id"]
    project = state.project(row.get("project_id"))
    return project["company_id"] if project else None


def origin_index(state, table: str) -> dict:
    """(company_id, origin_id) → row, built once per request (a 1000-item sync must not rescan the table)."""
    cache = g.setdefault("origin_index", {})
    if table not in cache:
        cache[table] = {
            (_company(state, row), row["origin_id"]): row
            for row in state.table(table).values()
            if row.get("origin_id")
        }
    return cache[table]


def by_origin(state, kind, company_id: int, origin_id: str) -> dict | None:
    return origin_index(state, kind.table).get((company_id, origin_id))


def reindex_origin(state, kind, row: dict, company_id: int, previous: str | None) -> None:
    index = origin_index(state, kind.table)
    if previous and index.get((company_id, previous)) is row:
        del index[(company_id, previous)]
    if row.get("origin_id"):
        index[(company_id, row["origin_id"])] = row


# Procore publishes no field lengths; names, numbers and ids are kept to 255 characters (the stricter reading,
# as the Rails app's string columns are), free text (descriptions, notes, origin_data) is not limited.
SHORT_TEXT = ("name", "title", "number", "invoice_number", "origin_id", "origin_code", "project_number", "code",
              "legal_name", "abbreviated_name", "email_address")
MAX_SHORT_TEXT = 255


def validate(state, kind, scope, row, values, company_id) -> dict:
    errors: dict[str, list[str]] = {}
    creating = row is None
    for name in SHORT_TEXT:
        if isinstance(values.get(name), str) and len(values[name]) > MAX_SHORT_TEXT:
            errors.setdefault(name, []).append(f"is too long (maximum is {MAX_SHORT_TEXT} characters)")
    for name in kind.required:
        if (creating and name not in values) or (name in values and values[name] in (None, "")):
            errors.setdefault(name, []).append("can't be blank")
    for name, allowed in kind.enums.items():
        if values.get(name) is not None and values[name] not in allowed:
            errors.setdefault(name, []).append(f"is not included in the list ({', '.join(sorted(allowed))})")
    for name in kind.money + ("quantity",):
        if values.get(name) is not None:
            try:
                values[name] = money(values[name]) if name != "quantity" else str(Decimal(str(values[name])))
            except (InvalidOperation, ValueError):
                errors.setdefault(name, []).append("is not a number")
    for name, (table, shared) in REFS.items():
        if values.get(name) is None:
            continue
        target = state.table(table).get(values[name]) if isinstance(values[name], int) else None
        expected = (
            company_id
            if shared == "company_id"
            else (scope.get("project_id") or (row or {}).get("project_id"))
        )
        if target is None or target.get(shared) != expected:
            errors.setdefault(name, []).append("does not exist")
    if (
        kind.table == "commitment_change_orders"
        and values.get("contract_id") is not None
        and _contract(state, values["contract_id"], scope.get("project_id")) is None
    ):
        errors.setdefault("contract_id", []).append("does not exist")
    if values.get("origin_id"):
        other = by_origin(state, kind, company_id, values["origin_id"])
        if other is not None and other is not row:
            errors.setdefault("origin_id", []).append("has already been taken")
    if kind.table == "direct_cost_line_items" and creating and "direct_cost_id" not in scope:
        dc = state.table("direct_costs").get(values.get("direct_cost_id"))
        if dc is None or dc["project_id"] != scope["project_id"]:
            errors.setdefault("direct_cost_id", []).append("can't be blank")
    return errors


def _contract(state, contract_id, project_id):
    for table in ("work_order_contracts", "purchase_order_contracts"):
        contract = state.table(table).get(contract_id)
        if contract and contract["project_id"] == project_id:
            return contract
    return None


def _top(name: str):
    value = request.args.get(name) or body().get(name)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def defaults(state, kind, scope, row) -> None:
    table = kind.table
    if table == "projects":
        row.update(
            active=True,
            project_number=None,
            is_erp_integrated=False,
            standard_cost_code_list_id=None,
            origin_code=None,
        )
    elif table == "vendors":
        row.update(is_active=True, business_register=None, origin_code=None, email_address=None)
    elif table == "standard_cost_codes":
        list_id = _top("standard_cost_code_list_id")
        lst = state.table("standard_cost_code_lists").get(list_id)
        if lst is None or lst["company_id"] != scope["company_id"]:
            raise ApiError(422, {"errors": {"standard_cost_code_list_id": ["does not exist"]}})
        row.update(standard_cost_code_list_id=list_id, parent_id=None)
    elif table == "cost_codes":
        row.update(
            line_item_type_ids=[
                lt["id"]
                for lt in state.table("line_item_types").values()
                if lt["company_id"] == state.project(scope["project_id"])["company_id"]
            ],
            standard_cost_code_id=None,
        )
    elif table in ("work_order_contracts", "purchase_order_contracts"):
        count = sum(1 for c in state.table(table).values() if c["project_id"] == scope["project_id"])
        row.update(
            status="Draft",
            executed=False,
            private=False,
            accounting_method="amount",
            retainage_percent="0.0",
            number=f"{'PO' if table.startswith('purchase') else 'SC'}-{count + 1:04d}",
            origin_code=None,
            deleted_at=None,
            title=None,
        )
    elif table == "commitment_line_items":
        count = sum(1 for li in state.table(table).values() if li.get("holder_id") == scope["holder_id"])
        row.update(position=count + 1, extended_type="manual", cost_code_id=None, line_item_type_id=None)
    elif table == "change_order_packages":
        contract = _contract(state, _top("contract_id"), scope["project_id"])
        if contract is None:
            raise ApiError(422, {"errors": {"contract_id": ["does not exist"]}})
        row.update(
            contract_id=contract["id"],
            status="draft",
            line_items=[],
            type="CommitmentContractChangeOrder",
            origin_code=None,
            deleted_at=None,
            grand_total="0.00",
        )
    elif table == "commitment_change_orders":
        row.update(status="draft", type="CommitmentChangeOrder", legacy_package_id=None, grand_total="0.00")
    elif table == "requisitions":
        _new_requisition(state, scope, row)
    elif table == "contract_payments":
        contract = _contract(state, _top("contract_id"), scope["project_id"])
        if contract is None:
            raise ApiError(422, {"errors": {"contract_id": ["does not exist"]}})
        row.update(contract_id=contract["id"], status="paid", origin_code=None)
    elif table == "direct_costs":
        row.update(status="draft", deleted_at=None)
    elif table == "direct_cost_line_items" and "direct_cost_id" in scope:
        row["direct_cost_id"] = scope["direct_cost_id"]


def _new_requisition(state, scope, row) -> None:
    contract = _contract(state, _top("commitment_id"), scope["project_id"])
    if contract is None:
        raise ApiError(422, {"errors": {"commitment_id": ["does not exist"]}})
    if contract["status"] not in ("Approved", "Complete"):
        raise ApiError(422, {"errors": {"base": ["Invoices can only be created for approved commitments"]}})
    vendor = state.table("vendors").get(contract["vendor_id"]) or {}
    lines = sorted(
        (li for li in state.table("commitment_line_items").values() if li["holder_id"] == contract["id"]),
        key=lambda li: li["position"],
    )
    number = 1 + sum(1 for q in state.table("requisitions").values() if q["commitment_id"] == contract["id"])
    row.update(
        commitment_id=contract["id"],
        number=number,
        status="draft",
        erp_status=None,
        final=False,
        commitment_type="PurchaseOrderContract"
        if "purchase" in _table_of(state, contract)
        else "WorkOrderContract",
        contract_name=contract["title"],
        vendor_id=vendor.get("id"),
        vendor_name=vendor.get("name"),
        invoice_number=None,
        period_id=None,
        items=[
            {
                "id": state.next_id("requisition_items"),
                "item_type": "contract_item",
                "line_item_id": li["id"],
                "cost_code_id": li["cost_code_id"],
                "description_of_work": li["description"],
                "position": li["position"],
                "line_number": li["position"],
                "scheduled_value": li["amount"],
                "work_completed_from_previous_application": "0.00",
                "work_completed_this_period": "0.00",
                "materials_presently_stored": "0.00",
                "total_completed_and_stored_to_date": "0.00",
                "total_completed_and_stored_to_date_percent": "0.0",
                "work_completed_retainage_retained_this_period": "0.00",
                "work_completed_retainage_percent_this_period": contract.get("retainage_percent") or "0.0",
                "work_completed_retainage_released_this_period": "0.00",
                "gross_amount": "0.00",
                "net_amount": "0.00",
                "status": "draft",
                "comment": None,
            }
            for li in lines
        ],
    )


def _table_of(state, contract) -> str:
    return "purchase_order_contracts" if contract["id"] in state.table("purchase_order_contracts") else "wocs"


def after_save(state, kind, row, attrs, creating) -> None:
    table = kind.table
    if table == "projects":
        row["display_name"] = (
            f"{row['project_number']} - {row['name']}" if row.get("project_number") else row["name"]
        )
    elif table in ("standard_cost_codes", "cost_codes") and (creating or {"code", "parent_id"} & set(attrs)):
        # full_code = the parent's full code + this segment; a rename alone keeps it.
        parent = state.table(table).get(row.get("parent_id")) if row.get("parent_id") else None
        row["full_code"] = f"{parent['full_code']}-{row['code']}" if parent else row["code"]
    elif table == "requisitions":
        _apply_items(row, attrs.get("items"))
        row["summary"] = g702(state, row)
    elif table == "direct_costs" and creating and isinstance(attrs.get("line_items"), list):
        lines = attrs["line_items"]
        for n, line in enumerate(lines[:100]):
            lid = state.next_id("direct_cost_line_items")
            state.table("direct_cost_line_items")[lid] = {
                "id": lid,
                "direct_cost_id": row["id"],
                "project_id": row["project_id"],
                "position": n + 1,
                "description": line.get("description"),
                "cost_code_id": line.get("cost_code_id"),
                "line_item_type_id": line.get("line_item_type_id"),
                "quantity": str(line.get("quantity") or "1"),
                "uom": line.get("uom"),
                "unit_cost": money(line.get("unit_cost") or line.get("manual_amount") or 0),
                "amount": money(line.get("manual_amount") or line.get("amount") or 0),
                "extended_type": "manual",
                "origin_id": line.get("origin_id"),
                "origin_data": line.get("origin_data"),
                "created_at": row["created_at"],
                "updated_at": row["updated_at"],
            }


def _apply_items(row, items) -> None:
    """Progress sent on a requisition's items (by line_item_id) updates the stored items."""
    if not isinstance(items, list):
        return
    by_id = {i.get("id"): i for i in items if isinstance(i, dict) and i.get("id") is not None}
    by_line = {i.get("line_item_id"): i for i in items if isinstance(i, dict)}
    for item in row.get("items", []):
        sent = by_id.get(item["id"]) or by_line.get(item["line_item_id"])
        if not sent:
            continue
        done = Decimal(money(sent.get("work_completed_this_period") or 0))
        percent = Decimal(
            str(
                sent.get("work_completed_retainage_percent_this_period")
                or item["work_completed_retainage_percent_this_period"]
                or 0
            )
        )
        retained = (done * percent / 100).quantize(Decimal("0.01"))
        item.update(
            work_completed_this_period=money(done),
            total_completed_and_stored_to_date=money(done),
            work_completed_retainage_retained_this_period=money(retained),
            gross_amount=money(done),
            net_amount=money(done - retained),
        )
