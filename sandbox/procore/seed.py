"""Deterministic Procore data for a (size, seed): the first company of datasets.PROCORE_COMPANIES holds it;
with `tenants` N, each of datasets.tenant_companies(N) holds the same dataset under ids of its own.

Rows are stored lean (core fields only); `present.py` adds the other documented fields when serving.
`SEED_NOW` is the fixed "now" of the dataset: some projects were created before it and some after, so the
connector's "projects created before the connection" rule can be exercised by connecting at SEED_NOW.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sandbox import datasets

from .state import utc_iso

SEED_NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# Item Code = cost code + cost type must fit Xero's 30 chars; this one (29 + "-S") does not, on purpose.
LONG_COST_CODE = ("99-9000-EXTENDED-WARRANTY-WRK", "Extended warranty work (code too long for Xero)")
WOC_STATUSES = [
    "Approved",
    "Approved",
    "Draft",
    "Approved",
    "Out For Signature",
    "Approved",
    "Complete",
    "Approved",
]
POC_STATUSES = ["Approved", "Draft", "Approved", "Submitted", "Approved"]
REQ_STATUSES = [
    "approved",
    "approved_as_noted",
    "pending_owner_approval",
    "draft",
    "under_review",
    "approved",
]
RETAINAGE = Decimal(10)


def money(value) -> str:
    return f"{value if isinstance(value, Decimal) else Decimal(value):.2f}"  # Procore money: "1234.50"


def seed_tables(state, size: str, seed: int) -> None:
    if size == "empty":
        return
    for company in datasets.tenant_companies(state.tenants):
        # Each company is seeded alone (the steps below read whole tables), then joins the others.
        kept, state.tables = state.tables, {}
        try:
            _seed_company(state, size, seed, company)
        finally:
            fresh, state.tables = state.tables, kept
        for name, rows in fresh.items():
            state.table(name).update(rows)


def _seed_company(state, size: str, seed: int, company: dict) -> None:
    spec = datasets.SIZES[size]
    when = _Timeline(seed)
    lists = state.table("standard_cost_code_lists")
    list_id = state.next_id("standard_cost_code_lists")
    lists[list_id] = {
        "id": list_id,
        "company_id": company["id"],
        "name": "Xero Standard Cost Codes",
        "is_erp_list": True,
        "available_to_use_on_new_projects": True,
    }
    sccs = state.table("standard_cost_codes")
    codes = datasets.cost_codes(size, seed) + [LONG_COST_CODE]
    for full_code, name in codes:
        sid = state.next_id("standard_cost_codes")
        sccs[sid] = {
            "id": sid,
            "company_id": company["id"],
            "standard_cost_code_list_id": list_id,
            "parent_id": None,
            "code": full_code.split("-", 1)[-1],
            "full_code": full_code,
            "name": name,
            "origin_id": None,
            "origin_data": None,
            "created_at": when.before(),
            "updated_at": when.before(),
        }
    lits = state.table("line_item_types")
    for code, name, base in datasets.cost_types(size):
        lid = state.next_id("line_item_types")
        lits[lid] = {
            "id": lid,
            "company_id": company["id"],
            "name": name,
            "code": code,
            "base_type": base,
            "origin_id": None,
            "origin_data": None,
        }
    _vendors(state, size, seed, company, when)
    _projects(state, size, seed, company, list_id, when)
    _commitments(state, spec, seed, when)
    _change_orders(state, spec, seed, when)
    _requisitions(state, spec, seed, when)
    _payments_and_costs(state, spec, seed, when)


class _Timeline:
    """Deterministic timestamps: before SEED_NOW for most records, after it for some."""

    def __init__(self, seed: int):
        self.r = datasets.rng(seed, "procore-times")

    def before(self) -> str:
        return utc_iso(SEED_NOW - timedelta(days=self.r.randint(30, 400), seconds=self.r.randint(0, 86399)))

    def after(self) -> str:
        return utc_iso(SEED_NOW + timedelta(days=self.r.randint(1, 200), seconds=self.r.randint(0, 86399)))


def _vendors(state, size, seed, company, when):
    r = datasets.rng(seed, "procore-vendors")
    vendors = state.table("vendors")
    cities = [
        ("Denver", "CO", "80202"),
        ("Boise", "ID", "83702"),
        ("Austin", "TX", "78701"),
        ("Reno", "NV", "89501"),
    ]
    for n, name in enumerate(datasets.vendor_names(size, seed)):
        vid = state.next_id("vendors")
        city, st, zip_code = cities[n % len(cities)]
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:20]
        has_ein = n % 2 == 0
        created = when.before()
        vendors[vid] = {
            "id": vid,
            "company_id": company["id"],
            "name": name,
            "legal_name": name,
            "abbreviated_name": name[:10],
            "address": f"{r.randint(10, 9999)} Main St",
            "city": city,
            "state_code": st,
            "country_code": "US",
            "zip": zip_code,
            "business_phone": f"+1 303 555 {r.randint(1000, 9999)}",
            "email_address": f"ap@{slug}.example" if n % 3 != 2 else None,
            "website": None,
            "is_active": n % 17 != 16,
            "origin_id": None,
            "origin_code": None,
            "origin_data": None,
            "business_register": (
                {
                    "id": vid,
                    "type": "EIN",
                    "identifier": f"{r.randint(10, 99)}-{r.randint(1000000, 9999999)}",
                    "verified_at": None,
                    "verification_status": "unverified",
                }
                if has_ein
                else None
            ),
            "created_at": created,
            "updated_at": created,
        }


def _projects(state, size, seed, company, list_id, when):
    projects = state.table("projects")
    sccs = list(state.table("standard_cost_codes").values())
    cost_codes = state.table("cost_codes")
    lits = list(state.table("line_item_types").values())
    per_project = sccs if size in ("small", "medium") else sccs[:200]  # large: keep memory bounded
    names = datasets.project_names(size, seed)
    for n, name in enumerate(names):
        pid = state.next_id("projects")
        created = when.after() if n % 3 == 1 else when.before()  # a third created after SEED_NOW
        number = f"{24000 + n + 1}"
        city = name.split(" ")[0]
        projects[pid] = {
            "id": pid,
            "company_id": company["id"],
            "name": name,
            "display_name": f"{number} - {name}",
            "project_number": number,
            "active": not (n == len(names) - 1 and len(names) > 2),  # the last is inactive
            "city": city,
            "state_code": "CO",
            "country_code": "US",
            "address": f"{100 + n} Commerce Way",
            "zip": "80202",
            "start_date": created[:10],
            "total_value": datasets_money(seed, n),
            "origin_id": None,
            "origin_code": None,
            "origin_data": None,
            "standard_cost_code_list_id": list_id,
            "is_erp_integrated": True,
            "created_at": created,
            "updated_at": created,
        }
        for scc in per_project:
            cid = state.next_id("cost_codes")
            cost_codes[cid] = {
                "id": cid,
                "project_id": pid,
                "name": scc["name"],
                "code": scc["code"],
                "full_code": scc["full_code"],
                "standard_cost_code_id": scc["id"],
                "line_item_type_ids": [lt["id"] for lt in lits],
                "origin_id": None,
                "origin_data": None,
                "created_at": created,
                "updated_at": created,
            }


def datasets_money(seed: int, n: int) -> str:
    return money(1_000_000 + (seed * 7919 + n * 104_729) % 9_000_000)


def _project_codes(state) -> dict[int, list[dict]]:
    by_project: dict[int, list[dict]] = {}
    for cc in state.table("cost_codes").values():
        by_project.setdefault(cc["project_id"], []).append(cc)
    return by_project


def _commitments(state, spec, seed, when):
    r = datasets.rng(seed, "procore-commitments")
    projects = [p for p in state.table("projects").values()]
    vendors = [v for v in state.table("vendors").values() if v["is_active"]]
    lits = list(state.table("line_item_types").values())
    codes = _project_codes(state)
    lines = state.table("commitment_line_items")
    for n in range(spec.commitments):
        is_po = n % 5 in (1, 3)
        table = "purchase_order_contracts" if is_po else "work_order_contracts"
        statuses = POC_STATUSES if is_po else WOC_STATUSES
        project = projects[n % len(projects)]
        vendor = vendors[(n * 7) % len(vendors)]
        cid = state.next_id(table)
        created = when.before()
        status = statuses[(n // 2) % len(statuses)]
        prefix = "PO" if is_po else "SC"
        state.table(table)[cid] = {
            "id": cid,
            "project_id": project["id"],
            "vendor_id": vendor["id"],
            "number": f"{prefix}-{n + 1:04d}",
            "title": f"{vendor['name']} — {project['name'].split(' ', 1)[1]}",
            "status": status,
            "executed": status in ("Approved", "Complete"),
            "private": False,
            "accounting_method": "amount",
            "retainage_percent": str(RETAINAGE),
            "description": "Scope per bid documents.",
            "origin_id": None,
            "origin_code": None,
            "origin_data": None,
            "contract_date": created[:10],
            "created_at": created,
            "updated_at": created,
            "deleted_at": None,
        }
        project_codes = codes.get(project["id"]) or []
        for pos in range(spec.lines_per_commitment if project_codes else 0):
            cc = project_codes[(n + pos * 3) % len(project_codes)]
            lit = lits[(n + pos) % len(lits)]
            qty = r.randint(1, 40)
            unit = r.randint(50, 2500)
            lid = state.next_id("commitment_line_items")
            lines[lid] = {
                "id": lid,
                "holder_type": "PurchaseOrderContract" if is_po else "WorkOrderContract",
                "holder_id": cid,
                "project_id": project["id"],
                "position": pos + 1,
                "description": f"{cc['name']} ({lit['name']})",
                "quantity": str(qty),
                "uom": "ea",
                "unit_cost": money(unit),
                "amount": money(qty * unit),
                "extended_type": "calculated",
                "cost_code_id": cc["id"],
                "line_item_type_id": lit["id"],
                "tax_code_id": None,
                "origin_id": None,
                "origin_data": None,
                "created_at": created,
                "updated_at": created,
            }


def _approved_commitments(state) -> list[tuple[str, dict]]:
    out = []
    for table in ("work_order_contracts", "purchase_order_contracts"):
        out += [(table, c) for c in state.table(table).values() if c["status"] == "Approved"]
    out.sort(key=lambda tc: tc[1]["id"])
    return out


def _lines_of(state) -> dict[int, list[dict]]:
    by_holder: dict[int, list[dict]] = {}
    for line in state.table("commitment_line_items").values():
        by_holder.setdefault(line["holder_id"], []).append(line)
    return by_holder


def _change_orders(state, spec, seed, when):
    r = datasets.rng(seed, "procore-change-orders")
    approved = _approved_commitments(state)
    lines = _lines_of(state)
    packages, ccos = state.table("change_order_packages"), state.table("commitment_change_orders")
    for n in range(spec.change_orders if approved else 0):
        table, contract = approved[n % len(approved)]
        status = "approved" if n % 4 != 3 else "pending"
        created = when.before()
        pkg_id, cco_id = state.next_id("change_order_packages"), state.next_id("commitment_change_orders")
        contract_lines = lines.get(contract["id"], [])
        pkg_lines = []
        for pos, line in enumerate(contract_lines[: 1 + n % 2]):
            delta = r.choice([1, 1, 1, -1]) * r.randint(2, 40) * 100
            pkg_lines.append(
                {
                    "id": state.next_id("commitment_line_items"),
                    "position": pos + 1,
                    "description": f"Change: {line['description']}",
                    "quantity": "1",
                    "uom": "ls",
                    "unit_cost": money(delta),
                    "total_amount": money(delta),
                    "extended_amount": money(delta),
                    "commitment_line_item_id": line["id"],
                    "cost_code_id": line["cost_code_id"],
                    "line_item_type_id": line["line_item_type_id"],
                }
            )
        total = money(sum(Decimal(li["total_amount"]) for li in pkg_lines))
        number = f"{contract['number']}-CO{n + 1:02d}"
        common = {
            "contract_id": contract["id"],
            "project_id": contract["project_id"],
            "number": number,
            "title": f"Change order {n + 1} on {contract['number']}",
            "status": status,
            "description": "Owner-requested scope change.",
            "executed": status == "approved",
            "private": False,
            "grand_total": total,
            "due_date": created[:10],
            "reviewed_at": created if status == "approved" else None,
            "created_at": created,
            "updated_at": created,
        }
        packages[pkg_id] = {
            "id": pkg_id,
            **common,
            "type": "CommitmentContractChangeOrder",
            "contract_table": table,
            "line_items": pkg_lines,
            "origin_id": None,
            "origin_code": None,
            "origin_data": None,
            "deleted_at": None,
        }
        ccos[cco_id] = {
            "id": cco_id,
            **common,
            "legacy_package_id": pkg_id,
            "batch_id": None,
            "revision": 0,
            "type": "CommitmentChangeOrder",
            "signature_required": False,
            "paid": False,
        }


def _requisitions(state, spec, seed, when):
    approved = _approved_commitments(state)
    lines = _lines_of(state)
    reqs = state.table("requisitions")
    vendors = state.table("vendors")
    numbers: dict[int, int] = {}
    for n in range(spec.invoices if approved else 0):
        table, contract = approved[n % len(approved)]
        negative = n == 5  # one credit invoice (negative total): the connector must refuse it
        status = "approved" if negative else REQ_STATUSES[n % len(REQ_STATUSES)]
        numbers[contract["id"]] = numbers.get(contract["id"], 0) + 1
        percent = Decimal(-5 if negative else 10 + (n * 7) % 30)
        created = when.before() if n % 4 else when.after()
        items = []
        for line in lines.get(contract["id"], []):
            this_period = (Decimal(line["amount"]) * percent / 100).quantize(Decimal("0.01"))
            retained = (this_period * RETAINAGE / 100).quantize(Decimal("0.01"))
            items.append(
                {
                    "id": state.next_id("requisition_items"),
                    "item_type": "contract_item",
                    "line_item_id": line["id"],
                    "cost_code_id": line["cost_code_id"],
                    "description_of_work": line["description"],
                    "position": line["position"],
                    "line_number": line["position"],
                    "scheduled_value": line["amount"],
                    "work_completed_from_previous_application": "0.00",
                    "work_completed_this_period": money(this_period),
                    "materials_presently_stored": "0.00",
                    "total_completed_and_stored_to_date": money(this_period),
                    "total_completed_and_stored_to_date_percent": str(percent),
                    "work_completed_retainage_retained_this_period": money(retained),
                    "work_completed_retainage_percent_this_period": str(RETAINAGE),
                    "work_completed_retainage_released_this_period": "0.00",
                    "gross_amount": money(this_period),
                    "net_amount": money(this_period - retained),
                    "status": "approved",
                    "comment": None,
                }
            )
        rid = state.next_id("requisitions")
        vendor = vendors[contract["vendor_id"]]
        reqs[rid] = {
            "id": rid,
            "project_id": contract["project_id"],
            "commitment_id": contract["id"],
            "commitment_type": "PurchaseOrderContract"
            if table == "purchase_order_contracts"
            else "WorkOrderContract",
            "contract_name": contract["title"],
            "number": numbers[contract["id"]],
            "invoice_number": f"INV-{seed}{n + 1:05d}",
            "status": status,
            "erp_status": None,
            "vendor_id": vendor["id"],
            "vendor_name": vendor["name"],
            "period_id": None,
            "billing_date": created[:10],
            "requisition_start": created[:10],
            "requisition_end": created[:10],
            "payment_date": None,
            "submitted_at": created,
            "final": False,
            "origin_id": None,
            "origin_data": None,
            "created_at": created,
            "updated_at": created,
            "items": items,
        }
        reqs[rid]["summary"] = g702(state, reqs[rid])
        if status != "draft":  # the subcontractor's pay application, as Procore keeps it with the invoice
            reqs[rid]["attachment_ids"] = [
                store_file(state, f"Pay Application {reqs[rid]['invoice_number']}.pdf", "application/pdf",
                           pay_application_pdf(reqs[rid], contract, vendor), created)
            ]


def g702(state, req: dict) -> dict:
    """The G702 summary (all strings) derived from the items, with 10% retainage on completed work."""
    items = req.get("items") or []
    completed = sum((Decimal(i["work_completed_this_period"]) for i in items), Decimal(0))
    retained = sum((Decimal(i["work_completed_retainage_retained_this_period"]) for i in items), Decimal(0))
    scheduled = sum((Decimal(i["scheduled_value"]) for i in items), Decimal(0))
    return {
        "original_contract_sum": money(scheduled),
        "net_change_by_change_orders": "0.00",
        "contract_sum_to_date": money(scheduled),
        "total_completed_and_stored_to_date": money(completed),
        "completed_work_retainage_percent": str(RETAINAGE),
        "completed_work_retainage_amount": money(retained),
        "stored_materials_retainage_percent": "0.0",
        "stored_materials_retainage_amount": "0.00",
        "total_retainage": money(retained),
        "total_earned_less_retainage": money(completed - retained),
        "less_previous_certificates_for_payment": "0.00",
        "current_payment_due": money(completed - retained),
        "balance_to_finish_including_retainage": money(scheduled - completed + retained),
        "tax_applicable_to_this_payment": "0.00",
        "new_materials": "0.00",
        "stored_materials": "0.00",
    }


def _payments_and_costs(state, spec, seed, when):
    reqs = [
        q
        for q in state.table("requisitions").values()
        if q["status"] == "approved" and Decimal(q["summary"]["current_payment_due"]) > 0
    ]
    payments = state.table("contract_payments")
    for n, req in enumerate(reqs[: max(1, spec.invoices // 4)]):
        pid = state.next_id("contract_payments")
        payments[pid] = {
            "id": pid,
            "project_id": req["project_id"],
            "contract_id": req["commitment_id"],
            "requisition_id": req["id"],
            "amount": req["summary"]["current_payment_due"],
            "date": SEED_NOW.date().isoformat(),
            "check_number": f"{10400 + n}",
            "invoice_number": req["invoice_number"],
            "payment_number": n + 1,
            "notes": None,
            "payment_method": "check",
            "status": "paid",
            "origin_id": None,
            "origin_code": None,
            "origin_data": None,
            "created_at": when.before(),
        }
    projects = [p for p in state.table("projects").values() if p["active"]]
    codes = _project_codes(state)
    lits = list(state.table("line_item_types").values())
    vendors = list(state.table("vendors").values())
    costs, cost_lines = state.table("direct_costs"), state.table("direct_cost_line_items")
    for n in range(max(1, spec.projects // 2)):
        project = projects[n % len(projects)]
        created = when.before()
        dcid = state.next_id("direct_costs")
        vendor = vendors[(n * 3) % len(vendors)]
        costs[dcid] = {
            "id": dcid,
            "project_id": project["id"],
            "direct_cost_type": "invoice",
            "status": "approved",
            "vendor_id": vendor["id"],
            "invoice_number": f"DC-{n + 1:04d}",
            "description": "Site supplies",
            "direct_cost_date": created[:10],
            "received_date": created[:10],
            "payment_date": None,
            "terms": "Net 30",
            "employee_id": None,
            "origin_id": None,
            "origin_data": None,
            "created_at": created,
            "updated_at": created,
            "deleted_at": None,
        }
        for pos, cc in enumerate((codes.get(project["id"]) or [])[:2]):
            lid = state.next_id("direct_cost_line_items")
            amount = money(250 * (pos + 1) + n * 10)
            cost_lines[lid] = {
                "id": lid,
                "direct_cost_id": dcid,
                "project_id": project["id"],
                "position": pos + 1,
                "description": cc["name"],
                "cost_code_id": cc["id"],
                "line_item_type_id": lits[pos % len(lits)]["id"],
                "quantity": "1",
                "uom": "ls",
                "unit_cost": amount,
                "amount": amount,
                "extended_type": "calculated",
                "origin_id": None,
                "origin_data": None,
                "created_at": created,
                "updated_at": created,
            }


def store_file(state, filename: str, content_type: str, content: bytes, created: str) -> int:
    """A file in Procore's document storage (served by GET /storage/<id>/<name> with a signed URL)."""
    fid = state.next_id("files")
    state.table("files")[fid] = {"id": fid, "filename": filename, "content_type": content_type,
                                 "content": content.decode("latin-1"), "created_at": created}
    return fid


def pay_application_pdf(req: dict, contract: dict, vendor: dict) -> bytes:
    """A one-page PDF naming the invoice (small, valid enough for a viewer)."""
    text = (f"Pay Application {req['invoice_number']} - {vendor['name']} - {contract['number']} - "
            f"current payment due {req['summary']['current_payment_due']}").replace("(", "[").replace(")", "]")
    stream = f"BT /F1 10 Tf 40 800 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out
