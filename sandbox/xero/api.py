"""The accounting API under /api.xro/2.0: reads with Xero's query features, writes through `rules`.

Auth, tenant, scopes and rate limits are checked before a view runs (see app.py); views find the
tenant in `g.tenant`. Writes run under `state.lock` and through the Idempotency-Key cache.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, g, request

from . import attachments, credit_notes, payments, query, rules
from .documents import UNIT_DP, Invalid
from .formats import public
from .responses import json_response, not_found, ok, validation_error
from .state import ID_FIELDS
from .writers import WRITERS

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
PAGED = {"Contacts", "Invoices", "CreditNotes", "PurchaseOrders", "Payments", "BankTransactions", "ManualJournals"}
LIST_FILTERS = {
    "IDs": None,
    "InvoiceNumbers": "InvoiceNumber",
    "ContactIDs": "Contact.ContactID",
    "Statuses": "Status",
}
ELEMENT_FLAGS = {
    "Contacts": "HasValidationErrors",
    "Invoices": "HasErrors",
    "CreditNotes": "HasErrors",
    "Payments": "HasValidationErrors",
}


def accounting_blueprint(state) -> Blueprint:
    bp = Blueprint("xero_accounting", __name__, url_prefix="/api.xro/2.0")

    # -- reads -----------------------------------------------------------------------------------
    def listing(kind: str, key: str | None = None):
        args = request.args
        try:
            rows = _filter(state, kind, g.tenant, args)
            rows = query.modified_since(rows, request.headers.get("If-Modified-Since"))
            rows = query.order_rows(rows, args.get("order"))
            extra = {}
            if kind in PAGED:
                rows, pagination = query.paginate(
                    rows, args.get("page"), args.get("pageSize"), served=state.faults.page_size
                )
                if pagination:
                    extra["pagination"] = pagination
        except query.QueryError as exc:
            return validation_error([], str(exc))
        if args.get("summaryOnly", "").lower() == "true":
            rows = [{k: v for k, v in r.items() if k not in ("LineItems", "Payments")} for r in rows]
        return ok(key or kind, rows, state.now(), **extra)

    def single(kind: str, record_id: str, by_number: str | None = None):
        row = state.get(kind, g.tenant, record_id) if UUID.match(record_id) else None
        if row is None and by_number:
            row = next((r for r in state.rows(kind, g.tenant) if r.get(by_number) == record_id), None)
        return ok(kind, [row], state.now()) if row else not_found()

    @bp.get("/Organisation")
    def organisation():
        return ok("Organisations", state.rows("Organisation", g.tenant), state.now())

    for kind in (
        "Accounts",
        "TaxRates",
        "Items",
        "Contacts",
        "PurchaseOrders",
        "Invoices",
        "CreditNotes",
        "Payments",
        "BatchPayments",
        "BankTransactions",
        "ManualJournals",
        "TrackingCategories",
    ):
        bp.add_url_rule(f"/{kind}", f"list_{kind}", lambda kind=kind: listing(kind), methods=["GET"])
    for kind, number_field in (
        ("Accounts", None),
        ("Items", "Code"),
        ("Contacts", "ContactNumber"),
        ("PurchaseOrders", "PurchaseOrderNumber"),
        ("Invoices", "InvoiceNumber"),
        ("CreditNotes", "CreditNoteNumber"),
        ("Payments", None),
        ("BankTransactions", None),
        ("ManualJournals", None),
        ("TrackingCategories", None),
    ):
        bp.add_url_rule(
            f"/{kind}/<record_id>",
            f"get_{kind}",
            lambda record_id, kind=kind, nf=number_field: single(kind, record_id, nf),
            methods=["GET"],
        )

    # -- batch writes ----------------------------------------------------------------------------
    def batch(kind: str, mode: str, record_id: str | None = None):
        def run():
            elements = _elements(request.get_json(silent=True), kind)
            if elements is None:
                return validation_error([], f"The request body must be a {kind} object")
            if record_id:
                for element in elements:
                    element.setdefault(ID_FIELDS[kind], record_id)
            summarize = request.args.get("summarizeErrors", "true").lower() != "false"
            # unitdp exists on invoice/bank-transaction/item writes; purchase orders keep what is sent.
            rounds = kind in ("Invoices", "BankTransactions") and request.args.get("unitdp") != "4"
            UNIT_DP.set(2 if rounds else 4)
            results, failed = [], []
            for element in elements:
                try:
                    results.append(
                        dict(
                            public(WRITERS[kind](state, g.tenant, element, mode, g.client_id)),
                            StatusAttributeString="OK",
                        )
                    )
                except Invalid as exc:
                    echo = dict(
                        element,
                        ValidationErrors=[{"Message": m} for m in exc.messages],
                        StatusAttributeString="ERROR",
                    )
                    if kind in ELEMENT_FLAGS:
                        echo[ELEMENT_FLAGS[kind]] = True
                    results.append(echo)
                    failed.append(echo)
            if failed and summarize:  # Xero's default: a 400, yet the good elements were created
                return validation_error(failed)
            return ok(kind, results, state.now())

        return idempotent(state, run)

    for kind in WRITERS:
        methods = ["PUT"] if kind == "BatchPayments" else ["PUT", "POST"]
        for method in methods:
            bp.add_url_rule(
                f"/{kind}", f"{method}_{kind}", lambda kind=kind, m=method: batch(kind, m), methods=[method]
            )
    for kind in (
        "Items", "Contacts", "PurchaseOrders", "Invoices", "CreditNotes", "BankTransactions", "ManualJournals"
    ):
        bp.add_url_rule(
            f"/{kind}/<record_id>",
            f"update_{kind}",
            lambda record_id, kind=kind: batch(kind, "POST", record_id),
            methods=["POST"],
        )

    @bp.post("/Payments/<payment_id>")
    def delete_payment(payment_id):
        def run():
            body = request.get_json(silent=True) or {}
            element = (body.get("Payments") or [body])[0] if isinstance(body, dict) else {}
            if element.get("Status") != "DELETED":
                return validation_error(
                    [
                        dict(
                            element,
                            ValidationErrors=[
                                {"Message": "Payments can only be deleted (Status DELETED), not edited"}
                            ],
                        )
                    ]
                )
            try:
                return ok("Payments", [payments.delete_payment(state, g.tenant, payment_id)], state.now())
            except Invalid as exc:
                return validation_error([{"ValidationErrors": [{"Message": m} for m in exc.messages]}])

        return idempotent(state, run)

    # -- credit note allocations -----------------------------------------------------------------
    @bp.put("/CreditNotes/<credit_note_id>/Allocations")
    def allocate(credit_note_id):
        def run():
            elements = _elements(request.get_json(silent=True), "Allocations")
            if elements is None:
                return validation_error([], "The request body must be an Allocations object")
            summarize = request.args.get("summarizeErrors", "true").lower() != "false"
            results, failed = [], []
            for element in elements:
                try:
                    results.append(dict(credit_notes.allocate(state, g.tenant, credit_note_id, element),
                                        StatusAttributeString="OK"))
                except Invalid as exc:
                    echo = dict(element, ValidationErrors=[{"Message": m} for m in exc.messages],
                                StatusAttributeString="ERROR")
                    results.append(echo)
                    failed.append(echo)
            if failed and summarize:
                return validation_error(failed)
            return ok("Allocations", results, state.now())

        return idempotent(state, run)

    # -- attachments of bills ---------------------------------------------------------------------
    @bp.get("/Invoices/<invoice_id>/Attachments")
    def list_attachments(invoice_id):
        if state.get("Invoices", g.tenant, invoice_id) is None:
            return not_found()
        return ok("Attachments", attachments.listed(state, g.tenant, "Invoices", invoice_id), state.now())

    @bp.get("/Invoices/<invoice_id>/Attachments/<name>")
    def get_attachment(invoice_id, name):
        found = attachments.find(state, g.tenant, "Invoices", invoice_id, name)
        if found is None:
            return not_found()
        # The spec answers application/octet-stream (the `contentType` header names the file's own type).
        return Response(attachments.content(found), mimetype="application/octet-stream")

    def upload(invoice_id, name):
        def run():
            try:
                saved = attachments.save(state, g.tenant, "Invoices", invoice_id, name, request.get_data(),
                                         request.args.get("IncludeOnline", "").lower() == "true")
            except Invalid as exc:
                return validation_error([{"ValidationErrors": [{"Message": m} for m in exc.messages]}])
            return ok("Attachments", [saved], state.now())

        return idempotent(state, run)

    bp.add_url_rule("/Invoices/<invoice_id>/Attachments/<name>", "put_attachment", upload, methods=["PUT"])
    bp.add_url_rule("/Invoices/<invoice_id>/Attachments/<name>", "post_attachment", upload, methods=["POST"])

    @bp.delete("/Items/<item_id>")
    def delete_item(item_id):
        with state.lock:
            row = state.get("Items", g.tenant, item_id)
            if row is None:
                return not_found()
            del state.table("Items")[item_id.lower()]
        return "", 204

    # -- tracking categories and options ---------------------------------------------------------
    def tracking(fn, key):
        def run():
            body = request.get_json(silent=True)
            element = _single(body, key)
            try:
                return fn(element)
            except Invalid as exc:
                return validation_error(
                    [dict(element or {}, ValidationErrors=[{"Message": m} for m in exc.messages])]
                )

        return idempotent(state, run)

    @bp.put("/TrackingCategories")
    def create_category():
        return tracking(
            lambda e: ok(
                "TrackingCategories", [rules.save_tracking_category(state, g.tenant, e, "PUT")], state.now()
            ),
            "TrackingCategories",
        )

    @bp.post("/TrackingCategories/<category_id>")
    def update_category(category_id):
        return tracking(
            lambda e: ok(
                "TrackingCategories",
                [rules.save_tracking_category(state, g.tenant, e, "POST", category_id)],
                state.now(),
            ),
            "TrackingCategories",
        )

    @bp.delete("/TrackingCategories/<category_id>")
    def delete_category(category_id):
        with state.lock:
            row = state.get("TrackingCategories", g.tenant, category_id)
            if row is None:
                return not_found()
            del state.table("TrackingCategories")[category_id.lower()]
        return ok("TrackingCategories", [dict(row, Status="DELETED")], state.now())

    @bp.put("/TrackingCategories/<category_id>/Options")
    def create_option(category_id):
        return tracking(
            lambda e: ok(
                "Options", [rules.save_tracking_option(state, g.tenant, category_id, e)], state.now()
            ),
            "Options",
        )

    @bp.post("/TrackingCategories/<category_id>/Options/<option_id>")
    def update_option(category_id, option_id):
        return tracking(
            lambda e: ok(
                "Options",
                [rules.save_tracking_option(state, g.tenant, category_id, e, option_id)],
                state.now(),
            ),
            "Options",
        )

    @bp.delete("/TrackingCategories/<category_id>/Options/<option_id>")
    def delete_option(category_id, option_id):
        with state.lock:
            try:
                return ok(
                    "Options",
                    [rules.delete_tracking_option(state, g.tenant, category_id, option_id)],
                    state.now(),
                )
            except Invalid as exc:
                return validation_error([{"ValidationErrors": [{"Message": m} for m in exc.messages]}])

    return bp


def idempotent(state, run):
    """Replay the first answer for a repeated Idempotency-Key; refuse the key on a different request."""
    key = request.headers.get("Idempotency-Key")
    with state.lock:
        if not key:
            return run()
        if len(key) > 128:
            return validation_error([], "Idempotency-Key must be at most 128 characters")
        fingerprint = state.idempotency.fingerprint(
            request.method, request.path, request.query_string.decode(), request.get_data()
        )
        verdict, entry = state.idempotency.lookup(g.tenant, key, fingerprint)
        if verdict == "replay":
            response = json_response(None, entry["status"])
            response.set_data(entry["body"])
            response.headers["Idempotent-Replayed"] = "true"
            return response
        if verdict == "conflict":
            return validation_error([], "This Idempotency-Key was already used with a different request")
        response = run()
        if response.status_code < 500:
            state.idempotency.store(g.tenant, key, fingerprint, response.status_code, response.get_data())
        return response


def _elements(body, kind: str) -> list[dict] | None:
    """Accept the plural envelope, a bare list or a single object (the SDK sends all three)."""
    if isinstance(body, dict) and isinstance(body.get(kind), list):
        items = body[kind]
    elif isinstance(body, list):
        items = body
    elif isinstance(body, dict) and kind not in body:
        items = [body]
    else:
        return None
    return [dict(e) for e in items if isinstance(e, dict)]


def _single(body, key: str) -> dict:
    if isinstance(body, dict) and isinstance(body.get(key), list) and body[key]:
        return dict(body[key][0])
    return dict(body) if isinstance(body, dict) else {}


def _filter(state, kind: str, tenant: str, args) -> list[dict]:
    rows = state.rows(kind, tenant)
    include_archived = args.get("includeArchived", "").lower() == "true"
    if kind == "Contacts" and not include_archived:
        rows = [r for r in rows if r.get("ContactStatus") != "ARCHIVED"]
    if kind == "TrackingCategories" and not include_archived:
        rows = [
            dict(r, Options=[o for o in r["Options"] if o["Status"] == "ACTIVE"])
            for r in rows
            if r["Status"] == "ACTIVE"
        ]
    for param, field in LIST_FILTERS.items():
        if args.get(param):
            wanted = {v.strip().lower() for v in args[param].split(",") if v.strip()}
            path = (field or ID_FIELDS[kind]).split(".")
            rows = [r for r in rows if str(query._field(r, path) or "").lower() in wanted]
    if kind == "PurchaseOrders":
        if args.get("Status"):
            rows = [r for r in rows if r["Status"] == args["Status"]]
        for param, op in (("DateFrom", ">="), ("DateTo", "<=")):
            if args.get(param):
                rows = [r for r in rows if query._eval(("cmp", ["Date"], [], op, _ts(args[param])), r)]
    if args.get("createdByMyApp", "").lower() == "true":
        rows = [r for r in rows if r.get("_app") == g.client_id]
    if args.get("searchTerm"):
        term = args["searchTerm"].lower()
        fields = (
            "Name",
            "FirstName",
            "LastName",
            "ContactNumber",
            "EmailAddress",
            "InvoiceNumber",
            "Reference",
        )
        rows = [r for r in rows if any(term in str(r.get(f) or "").lower() for f in fields)]
    where = query.compile_where(args.get("where"))
    return [r for r in rows if where(r)]


def _ts(value: str) -> float:
    from .formats import parse_date

    ts = parse_date(value)
    if ts is None:
        raise query.QueryError(f"{value!r} is not a date")
    return ts
