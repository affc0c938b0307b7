"""Generic list / show / create / update / delete / sync over a Kind, with Procore's write rules.

Sync actions (reference §6): ≤ sync_max_items per call, always 200, `{"entities","errors"}`, upsert by id or
origin_id, origin_id unique per company and type. A record with origin_id is locked for PATCH/DELETE (422).
"""

from __future__ import annotations

from flask import g, jsonify, request

from . import checks, webhooks
from .api import (
    ApiError,
    apply_filters,
    body,
    documented,
    fail,
    invalid,
    paginate,
    param,
    request_company_id,
)
from .kinds import Kind
from .state import utc_iso

PROTECTED = {"id", "created_at", "updated_at", "deleted_at", "company_id", "project_id"}


# -- scope ---------------------------------------------------------------------------------------------
def scope_of(state, kind: Kind, kw: dict) -> dict:
    """Fields every row of this request's scope shares: {'company_id'} / {'project_id'} / {'holder_id', …}."""
    if kind.scope == "company":
        if request.method == "GET" and request.args.get("company_id") is None:
            # The contract makes the scope a required query parameter (the header alone is not enough);
            # line item types may be read for a project instead ("either a company_id or project_id").
            project_id = request.args.get("project_id") if kind.table == "line_item_types" else None
            if project_id is None:
                raise ApiError(400, {"errors": "company_id is missing", "message": "param is missing: company_id"})
            if not _visible_project(state, project_id):
                raise fail(404, "Project not found")
            return {"company_id": state.project(project_id)["company_id"]}
        return {"company_id": request_company_id()}
    project_id = kw.get("project_id")
    if kind.scope == "holder":
        contract = state.table(kind.parent_table).get(int(kw["contract_id"]))
        if contract is None or not _visible_project(state, contract["project_id"]):
            raise fail(404, f"{kind.parent_table[:-1].replace('_', ' ').title()} not found")
        return {
            "holder_id": contract["id"],
            "holder_type": kind.holder_type,
            "project_id": contract["project_id"],
        }
    project_id = int(project_id) if project_id is not None else param("project_id")
    if not _visible_project(state, project_id):
        raise fail(404, "Project not found")
    scope = {"project_id": project_id}
    if kind.scope == "direct_cost" and kw.get("direct_cost_id") is not None:
        dc = state.table("direct_costs").get(int(kw["direct_cost_id"]))
        if dc is None or dc["project_id"] != project_id:
            raise fail(404, "Direct cost not found")
        scope["direct_cost_id"] = dc["id"]
    return scope


def _visible_project(state, project_id) -> bool:
    project = state.project(project_id)
    company = getattr(g, "company_id", None)
    return bool(project) and (company is None or project["company_id"] == company)


def company_of(state, scope: dict) -> int:
    if "company_id" in scope:
        return scope["company_id"]
    return state.project(scope["project_id"])["company_id"]


def in_scope(row: dict, scope: dict) -> bool:
    return all(row.get(k) == v for k, v in scope.items())


def find(state, kind: Kind, scope: dict, row_id) -> dict:
    try:
        row = state.table(kind.table).get(int(row_id))
    except (TypeError, ValueError):
        row = None
    if row is None or not in_scope(row, scope):
        raise fail(404, f"{kind.root.replace('_', ' ').capitalize()} not found")
    return row


# -- reads -------------------------------------------------------------------------------------------------
def list_rows(state, kind: Kind, kw: dict, present=None, extra=None):
    scope = scope_of(state, kind, kw)
    with state.lock:
        rows = [
            r for r in state.table(kind.table).values() if in_scope(r, scope) and (extra is None or extra(r))
        ]
        rows = apply_filters(rows, kind.filters)
        for name in kind.query_filters:
            if request.args.get(name, "").isdigit():
                rows = [r for r in rows if r.get(name) == int(request.args[name])]
        rows.sort(key=lambda r: r["id"])
        show = present or (lambda row: kind.serialize(state, row))
        return paginate(state, rows, show, paged=kind.paged)


def show_row(state, kind: Kind, kw: dict, row_id, present=None):
    scope = scope_of(state, kind, kw)
    with state.lock:
        row = find(state, kind, scope, row_id)
        if row.get("deleted_at"):
            raise fail(404, f"{kind.root.replace('_', ' ').capitalize()} not found")
        return jsonify(documented((present or (lambda r: kind.serialize(state, r)))(row)))


# -- writes ------------------------------------------------------------------------------------------------
def create_row(state, kind: Kind, kw: dict, present=None):
    scope = scope_of(state, kind, kw)
    attrs = wrapped_attrs(state, kind, scope)
    with state.lock:
        row = save(state, kind, scope, None, attrs)
        out = documented((present or (lambda r: kind.serialize(state, r)))(row))
    return jsonify(out), 201


def update_row(state, kind: Kind, kw: dict, row_id, present=None):
    scope = scope_of(state, kind, kw)
    attrs = wrapped_attrs(state, kind, scope)
    with state.lock:
        row = find(state, kind, scope, row_id)
        refuse_if_locked(kind, row, attrs)
        row = save(state, kind, scope, row, attrs)
        return jsonify(documented((present or (lambda r: kind.serialize(state, r)))(row)))


def delete_row(state, kind: Kind, kw: dict, row_id):
    scope = scope_of(state, kind, kw)
    with state.lock:
        row = find(state, kind, scope, row_id)
        refuse_if_locked(kind, row)
        if kind.soft_delete:
            row["deleted_at"] = row["updated_at"] = utc_iso()
        else:
            del state.table(kind.table)[row["id"]]
        webhooks.emit(state, kind.webhook, "delete", row, company_of(state, scope), row.get("project_id"))
    return "", 204


def wrapped_attrs(state, kind: Kind, scope: dict) -> dict:
    """The object under the body's root key; ERP projects take cost codes through cost_codes/sync only."""
    attrs = body().get(root_key(kind))
    if not isinstance(attrs, dict):
        raise ApiError(400, {"errors": f"param is missing or the value is empty: {root_key(kind)}"})
    if kind.table == "cost_codes" and (state.project(scope["project_id"]) or {}).get("origin_id"):
        raise invalid(
            {"base": ["Cost codes of an ERP-integrated project can only be written with cost_codes/sync"]}
        )
    return attrs


def root_key(kind: Kind) -> str:
    """v1.0 direct costs wrap the object in "item"; v1.1 in "direct_cost" (as the spec says)."""
    return "item" if kind.table == "direct_costs" and request.path.startswith("/rest/v1.0/") else kind.root


def refuse_if_locked(kind: Kind, row: dict, attrs: dict | None = None) -> None:
    """Synced (origin_id) records refuse edits; for commitments only the fields sent to the ERP are locked."""
    if kind.locked_fields and attrs is not None:
        changed = [f for f in kind.locked_fields if f in attrs and attrs[f] != row.get(f)]
        if row.get("origin_id") and changed:
            raise invalid(
                {f: ["can't be changed because the commitment is synced with ERP"] for f in changed}
            )
        return
    if kind.locked_when_synced and row.get("origin_id"):
        what = kind.root.replace("_", " ")
        message = f"The {what} is not editable because it has been synced with ERP"
        raise ApiError(422, {"errors": {"base": [message]}})


def save(state, kind: Kind, scope: dict, row: dict | None, attrs: dict) -> dict:
    """Validate and apply one create (row None) or update; emits the webhook event. Raises 422."""
    creating = row is None
    company_id = company_of(state, scope)
    values = {kind.renames.get(k, k): v for k, v in attrs.items() if k not in PROTECTED}
    errors = checks.validate(state, kind, scope, row, values, company_id)
    if errors:
        raise invalid(errors)
    if kind.table in ("requisitions", "direct_costs"):  # nested rows are applied by checks.after_save
        values.pop("items", None), values.pop("line_items", None)
    now = utc_iso()
    if creating:
        row = {
            "id": state.next_id(kind.table),
            **{k: v for k, v in scope.items()},
            "origin_id": None,
            "origin_data": None,
            "created_at": now,
        }
        checks.defaults(state, kind, scope, row)
        state.table(kind.table)[row["id"]] = row
    previous_origin = row.get("origin_id")
    row.update(values)
    row["updated_at"] = now
    checks.reindex_origin(state, kind, row, company_id, previous_origin)
    checks.after_save(state, kind, row, attrs, creating)
    g.pop("indexes", None)  # serializers' per-request indexes are stale now
    webhooks.emit(
        state, kind.webhook, "create" if creating else "update", row, company_id, row.get("project_id")
    )
    return row


def sync_rows(state, kind: Kind, kw: dict, present=None):
    scope = scope_of(state, kind, kw)
    updates = body().get("updates")
    if not isinstance(updates, list):
        raise ApiError(400, {"errors": "updates must be an array"})
    limit = int(state.settings["sync_max_items"])
    if len(updates) > limit:
        raise ApiError(
            413, {"errors": f"Sync actions accept at most {limit} items per request, got {len(updates)}"}
        )
    size, max_bytes = len(request.get_data()), int(state.settings["sync_max_bytes"])
    if size > max_bytes:  # Procore refuses sync payloads by size too (tutorials/using_sync_actions)
        raise ApiError(413, {"errors": f"Payload Too Large: {size} bytes; at most {max_bytes} per request"})
    entities, errors = [], []
    show = present or (lambda r: kind.serialize(state, r))
    with state.lock:
        table = state.table(kind.table)
        for item in updates:
            if not isinstance(item, dict):
                errors.append({"errors": {"base": ["must be an object"]}})
                continue
            try:
                row = None
                if item.get("id") is not None:
                    row = table.get(item["id"]) if isinstance(item["id"], int) else None
                    if row is None or not in_scope(row, scope):
                        raise invalid({"id": ["Entity with this ID not found"]})
                elif item.get("origin_id"):
                    row = checks.by_origin(state, kind, company_of(state, scope), item["origin_id"])
                    if row is not None and not in_scope(row, scope):
                        row = None  # same origin_id elsewhere in the company: save() reports it as taken
                attrs = {k: v for k, v in item.items() if k != "id"}
                entities.append(save(state, kind, scope, row, attrs))
            except ApiError as exc:
                field_errors = exc.body.get("errors")
                errors.append(
                    {
                        **item,
                        "errors": field_errors
                        if isinstance(field_errors, dict)
                        else {"base": [str(field_errors)]},
                    }
                )
        out = documented({"entities": [show(r) for r in entities], "errors": errors})
    return jsonify(out), 200


def view() -> str:
    return request.args.get("view", "")
