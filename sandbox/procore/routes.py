"""The /rest/v1.0 and /rest/v1.1 routes: each path of the spec we emulate, bound to a generic handler."""

from __future__ import annotations

import hmac

from flask import g, jsonify, request

from . import kinds as K
from . import present
from .api import documented, fail, paginate
from .handlers import create_row, delete_row, list_rows, show_row, sync_rows, update_row, view
from .state import SANDBOX_USER

V0, V1 = "/rest/v1.0", "/rest/v1.1"


def register(app, state, route) -> None:
    def crud(base, kind, ops="LSCUDY", id_name="id", **fixed):
        """L list, S show, C create, U update, D delete, Y sync (PATCH base/sync)."""
        name = (
            base.strip("/")
            .replace("/", "_")
            .replace("<", "")
            .replace(">", "")
            .replace(":", "_")
            .replace(".", "_")
        )
        if "Y" in ops:
            route("PATCH", f"{base}/sync", endpoint=f"{name}_sync")(
                lambda **kw: sync_rows(state, kind, {**fixed, **kw})
            )
        if "L" in ops:
            route("GET", base, endpoint=f"{name}_list")(lambda **kw: list_rows(state, kind, {**fixed, **kw}))
        if "C" in ops:
            route("POST", base, endpoint=f"{name}_create")(
                lambda **kw: create_row(state, kind, {**fixed, **kw})
            )
        item = f"{base}/<int:{id_name}>"
        if "S" in ops:
            route("GET", item, endpoint=f"{name}_show")(
                lambda **kw: show_row(state, kind, {**fixed, **kw}, kw.pop(id_name))
            )
        if "U" in ops:
            route("PATCH", item, endpoint=f"{name}_update")(
                lambda **kw: update_row(state, kind, {**fixed, **kw}, kw.pop(id_name))
            )
        if "D" in ops:
            route("DELETE", item, endpoint=f"{name}_delete")(
                lambda **kw: delete_row(state, kind, {**fixed, **kw}, kw.pop(id_name))
            )

    @route("GET", f"{V0}/companies")
    def companies():
        reach = set(g.token["company_ids"])
        rows = [
            {
                "id": c["id"],
                "name": c["name"],
                "is_active": True,
                "logo_url": None,
                "pcn_business_experience": None,
                "my_company": i == 0,
            }
            for i, c in enumerate(state.companies)
            if c["id"] in reach
        ]
        return paginate(state, rows, lambda r: r)

    @route("GET", f"{V0}/me")
    def me():
        return jsonify(documented(dict(SANDBOX_USER)))

    for version in (V0, V1):
        route("GET", f"{version}/projects", endpoint=f"projects_list_{version[-1]}")(
            lambda: list_rows(state, K.PROJECTS, {})
        )
    crud(f"{V0}/projects", K.PROJECTS, "SCUY")
    crud(f"{V0}/vendors", K.VENDORS)
    crud(f"{V0}/standard_cost_code_lists", K.SCC_LISTS, "LSC")
    crud(f"{V0}/standard_cost_codes", K.SCCS, "SCUDY")
    route("GET", f"{V0}/standard_cost_codes", endpoint="sccs_list")(lambda: _sccs(state))
    crud(f"{V0}/line_item_types", K.LITS, "LSCUY")
    crud(f"{V0}/cost_codes", K.COST_CODES, "LSCUY")
    for table, kind, lines in (
        ("work_order_contracts", K.WOCS, K.WOC_LINES),
        ("purchase_order_contracts", K.POCS, K.POC_LINES),
    ):
        crud(f"{V0}/{table}", kind, "LCUDY")
        route("GET", f"{V0}/{table}/<int:id>", endpoint=f"{table}_show")(
            lambda id, kind=kind: show_row(
                state, kind, {}, id, lambda r: present.contract(state, r, detail=True)
            )
        )
        crud(f"{V0}/{table}/<int:contract_id>/line_items", lines)
    crud(f"{V0}/change_order_packages", K.PACKAGES, "LSCU")
    crud(f"{V0}/projects/<int:project_id>/commitment_change_orders", K.CCOS, "LSCUD")
    crud(f"{V0}/requisitions", K.REQUISITIONS, "CUD")
    crud(f"{V1}/requisitions", K.REQUISITIONS, "CUD")
    for version in (V0, V1):
        route("GET", f"{version}/requisitions", endpoint=f"requisitions_list_{version[-1]}")(
            lambda version=version: list_rows(state, K.REQUISITIONS, {}, _requisition(state, version))
        )
        route("GET", f"{version}/requisitions/<int:id>", endpoint=f"requisitions_show_{version[-1]}")(
            lambda id, version=version: show_row(state, K.REQUISITIONS, {}, id, _requisition(state, version))
        )
    crud(f"{V0}/contract_payments", K.PAYMENTS, "LSCUD")
    for version in (V0, V1):
        base = f"{version}/projects/<int:project_id>/direct_costs"
        crud(base, K.DIRECT_COSTS, "LCUD")
        route("GET", f"{base}/<int:id>", endpoint=f"direct_costs_show_{version[-1]}")(
            lambda project_id, id: show_row(
                state,
                K.DIRECT_COSTS,
                {"project_id": project_id},
                id,
                lambda r: present.direct_cost(state, r, detail=True),
            )
        )
    route("PATCH", f"{V0}/projects/<int:project_id>/direct_costs/sync", endpoint="direct_costs_sync")(
        lambda project_id: sync_rows(state, K.DIRECT_COSTS, {"project_id": project_id})
    )
    crud(f"{V0}/projects/<int:project_id>/direct_costs/line_items", K.DC_LINES, "LY")
    crud(f"{V0}/projects/<int:project_id>/direct_costs/<int:direct_cost_id>/line_items", K.DC_LINES, "LSCUD")


def register_storage(app, state) -> None:
    """Procore's document storage: attachment URLs are signed links fetched without the API token."""
    from flask import Response

    @app.get("/storage/<int:file_id>/<path:filename>")
    def storage(file_id, filename):
        with state.lock:
            f = state.table("files").get(file_id)
        good = f is not None and hmac.compare_digest(request.args.get("sig", ""),
                                                     present.storage_signature(state, file_id))
        if not good:
            return Response("Access denied: the link is not valid", status=403, mimetype="text/plain")
        return Response(f["content"].encode("latin-1"), mimetype=f["content_type"],
                        headers={"Content-Disposition": f'attachment; filename="{f["filename"]}"'})


def _requisition(state, version):
    def show(row):
        with_items = (
            version.endswith("1.1") and view() in ("items", "extended") or request.url_rule.rule.endswith(">")
        )
        return present.requisition(state, row, with_items=with_items and version.endswith("1.1"))

    return show


def _sccs(state):
    list_id = request.args.get("standard_cost_code_list_id")
    if not (list_id or "").isdigit():
        raise fail(400, "standard_cost_code_list_id is missing")
    return list_rows(state, K.SCCS, {}, extra=lambda r: r["standard_cost_code_list_id"] == int(list_id))
