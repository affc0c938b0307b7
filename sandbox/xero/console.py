"""/_sandbox/ for the Xero emulator: the HTML console, OAuth clients, webhooks, clock, limits, tokens.

The console's forms act as a Xero user would (pay a bill, reverse a payment, add or rename a contact)
by calling the emulator's own accounting API with a console token, so rules, webhooks and contract
checks apply exactly as they do to the connector's calls.
"""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal

from flask import Blueprint, Response, jsonify, redirect, request

from sandbox.datasets import SIZES

from .formats import msdate
from .oauth_store import WEBHOOK_KEY

API = "/api.xro/2.0"


def console_blueprint(state, app) -> Blueprint:
    bp = Blueprint("xero_console", __name__, url_prefix="/_sandbox")

    def call_api(method: str, path: str, body=None, tenant: str | None = None):
        tenant = tenant or state.tenant_ids()[0]
        client = app.test_client()
        response = client.open(
            API + path,
            method=method,
            json=body,
            headers={"Authorization": f"Bearer {state.auth.console_token()}", "xero-tenant-id": tenant},
        )
        return response.status_code, response.get_json(silent=True)

    # -- JSON controls ---------------------------------------------------------------------------
    @bp.get("/clients")
    def clients():
        return jsonify(state.auth.clients())

    @bp.route("/webhooks", methods=["GET", "POST"])
    def webhooks():
        if request.method == "GET":
            return jsonify(state.webhooks.describe())
        body = request.get_json(silent=True) or {}
        if not body.get("url"):
            return jsonify({"error": "url is required"}), 400
        return jsonify(state.webhooks.configure(body["url"], body.get("key") or WEBHOOK_KEY))

    @bp.post("/webhooks/flush")
    def webhooks_flush():
        delivered = state.webhooks.deliver_due(force=True)
        return jsonify({"delivered_batches": delivered, **state.webhooks.describe()})

    @bp.post("/tokens/revoke")
    def tokens_revoke():
        body = request.get_json(silent=True) or {}
        return jsonify({"revoked": state.auth.revoke_client(body.get("client_id"))})

    @bp.post("/tokens/expire")
    def tokens_expire():
        return jsonify({"expired": state.auth.expire_access_tokens()})

    @bp.post("/clock/advance")
    def clock_advance():
        seconds = float((request.get_json(silent=True) or {}).get("seconds", 0))
        with state.lock:
            state.offset += seconds
        return jsonify({"offset_seconds": state.offset})

    @bp.post("/limits")
    def limits():
        """{"tenant_id", "minute_used", "day_used"}: preload usage to reach a limit without thousands of calls."""
        body = request.get_json(silent=True) or {}
        tenant = (body.get("tenant_id") or state.tenant_ids()[0]).lower()
        with state.lock:
            state.limits.preload(tenant, body.get("minute_used"), body.get("day_used"))
            return jsonify(state.limits.headers(tenant))

    @bp.get("/contract")
    def violations():
        return jsonify(list(state.contract_violations))

    @bp.post("/organisation")
    def organisation():
        """{"tenant_id", "Class", "Edition", "PeriodLockDate", "EndOfYearLockDate"}: what an adviser changes in
        Xero's settings (lock dates as YYYY-MM-DD, null to clear). Any Class is taken, even one newer than
        the published enum, to show clients a plan they do not know yet."""
        body = request.get_json(silent=True) or {}
        tenant = (body.get("tenant_id") or state.tenant_ids()[0]).lower()
        with state.lock:
            org = state.organisation(tenant)
            row = next(iter(state.rows("Organisation", tenant)), None)
            if org is None or row is None:
                return jsonify({"error": f"no organisation {tenant}"}), 404
            for key in ("Class", "Edition"):
                if body.get(key):
                    org[key] = row[key] = body[key]
            for key in ("PeriodLockDate", "EndOfYearLockDate"):
                if key in body:
                    if body[key]:
                        row[key] = msdate(date.fromisoformat(body[key]))
                    else:
                        row.pop(key, None)
            state.put("Organisation", tenant, row, False)
            return jsonify({k: v for k, v in row.items() if not k.startswith("_")})

    # -- HTML console ----------------------------------------------------------------------------
    @bp.get("/")
    def console():
        return Response(_render(state), mimetype="text/html")

    @bp.post("/console/reset")
    def console_reset():
        state.reset(size=request.form.get("size", "small"), seed=int(request.form.get("seed") or 1))
        return redirect("/_sandbox/")

    @bp.post("/console/faults")
    def console_faults():
        form = request.form
        state.set_faults(
            {
                "error_rate": float(form.get("error_rate") or 0),
                "drop_after_commit_rate": float(form.get("drop_after_commit_rate") or 0),
                "latency_ms": int(form.get("latency_ms") or 0),
                "rate_limits": "rate_limits" in form,
                "clock_speed": float(form.get("clock_speed") or 1),
                "force_429": int(form.get("force_429") or 0),
                "force_429_problem": form.get("force_429_problem") or "minute",
            }
        )
        return redirect("/_sandbox/")

    def _done(status, body, what):
        if status == 200:
            return redirect("/_sandbox/")
        return Response(
            f"<p>{html.escape(what)} failed ({status}): {html.escape(str(body))}</p>"
            '<p><a href="/_sandbox/">back</a></p>',
            status=400,
            mimetype="text/html",
        )

    @bp.post("/console/pay")
    def console_pay():
        form = request.form
        status, body = call_api(
            "PUT",
            "/Payments?summarizeErrors=true",
            {
                "Payments": [
                    {
                        "Invoice": {"InvoiceID": form["invoice_id"]},
                        "Account": {"Code": form.get("account_code") or "090"},
                        "Amount": float(Decimal(form["amount"])),
                        "Date": msdate(state.now()),
                        "Reference": form.get("reference") or "Paid in the Xero sandbox console",
                    }
                ]
            },
        )
        return _done(status, body, "Payment")

    @bp.post("/console/payments/<payment_id>/delete")
    def console_delete_payment(payment_id):
        return _done(*call_api("POST", f"/Payments/{payment_id}", {"Status": "DELETED"}), "Reversal")

    @bp.post("/console/contacts")
    def console_contact():
        form = request.form
        element = {"Name": form["name"]}
        if form.get("contact_id"):
            element["ContactID"] = form["contact_id"]
        if form.get("status"):
            element["ContactStatus"] = form["status"]
        return _done(*call_api("POST", "/Contacts?summarizeErrors=true", {"Contacts": [element]}), "Contact")

    return bp


def _render(state) -> str:
    e = html.escape
    tenant = state.tenant_ids()[0]
    with state.lock:
        counts = state.counts()
        stats = state.stats.as_dict()
        bills = [
            r for r in state.rows("Invoices", tenant) if r["Type"] == "ACCPAY" and r["Status"] == "AUTHORISED"
        ][:25]
        payments = sorted(state.rows("Payments", tenant), key=lambda p: -p["_updated"])[:15]
        contacts = sorted(state.rows("Contacts", tenant), key=lambda c: c["Name"].lower())[:200]
        faults = state.faults
        hooks = state.webhooks.describe()
    org_rows = "".join(
        f"<tr><td>{e(o['Name'])}</td><td><code>{o['tenantId']}</code></td><td>{o['CountryCode']}</td>"
        f"<td>{o['Class']}</td></tr>"
        for o in state.organisations
    )
    client_rows = "".join(
        f"<tr><td><code>{c['client_id']}</code></td><td><code>{c['client_secret']}</code></td>"
        f"<td>{', '.join(c['grant_types'])}</td><td>{e(', '.join(c['redirect_uris']))}</td></tr>"
        for c in state.auth.clients()
    )
    count_rows = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in counts.items())
    call_rows = "".join(f"<tr><td>{e(k)}</td><td>{v}</td></tr>" for k, v in stats["calls"].items())
    bill_rows = "".join(
        f"<tr><td>{e(b.get('InvoiceNumber') or '')}</td><td>{e(b['Contact']['Name'])}</td><td>{b['Total']}</td>"
        f"<td>{b['AmountDue']}</td><td><form method='post' action='/_sandbox/console/pay'>"
        f"<input type='hidden' name='invoice_id' value='{b['InvoiceID']}'>"
        f"<input name='amount' value='{b['AmountDue']}' size='9'><button>Pay</button></form></td></tr>"
        for b in bills
    )

    def reverse_button(p):
        if p["Status"] == "DELETED":
            return ""
        action = f"/_sandbox/console/payments/{p['PaymentID']}/delete"
        return f"<form method='post' action='{action}'><button>Delete (reverse)</button></form>"

    payment_rows = "".join(
        f"<tr><td>{e(p['Invoice'].get('InvoiceNumber') or '')}</td><td>{p['Amount']}</td><td>{p['Status']}</td>"
        f"<td>{reverse_button(p)}</td></tr>"
        for p in payments
    )
    contact_options = "".join(f"<option value='{c['ContactID']}'>{e(c['Name'])}</option>" for c in contacts)
    sizes = "".join(f"<option{' selected' if s == state.size else ''}>{s}</option>" for s in SIZES)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Xero sandbox console</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#1e3246}} table{{border-collapse:collapse;margin-bottom:1rem}}
td,th{{border:1px solid #dde;padding:.2rem .5rem;font-size:.9rem}} section{{margin-bottom:1.5rem}}</style></head><body>
<h1>Xero sandbox</h1><p>Dataset <b>{e(state.size)}</b>, seed {state.seed_value}. JSON controls: /_sandbox/reset, stats,
faults, data/&lt;resource&gt;, clients, webhooks, webhooks/flush, tokens/revoke, tokens/expire, clock/advance, limits.</p>
<section><form method="post" action="/_sandbox/console/reset">Reset to <select name="size">{sizes}</select>
seed <input name="seed" value="{state.seed_value}" size="4"><button>Reset</button></form></section>
<section><h2>Organisations</h2><table><tr><th>Name</th><th>Tenant id</th><th>Country</th><th>Class</th></tr>{org_rows}</table>
<h2>OAuth clients</h2><table><tr><th>client id</th><th>secret</th><th>grants</th><th>redirect URIs</th></tr>{client_rows}</table></section>
<section><h2>Faults</h2><form method="post" action="/_sandbox/console/faults">
error rate <input name="error_rate" value="{faults.error_rate}" size="4"> drop after commit
<input name="drop_after_commit_rate" value="{faults.drop_after_commit_rate}" size="4"> latency ms
<input name="latency_ms" value="{faults.latency_ms}" size="5"> clock speed <input name="clock_speed" value="{faults.clock_speed}" size="4">
<label><input type="checkbox" name="rate_limits"{" checked" if faults.rate_limits else ""}> rate limits</label>
force 429 × <input name="force_429" value="{faults.force_429}" size="3"> <select name="force_429_problem">
<option>minute</option><option>day</option><option>concurrent</option></select><button>Apply</button></form>
<p>429s sent: {stats["throttled"]}, injected errors: {stats["errors_injected"]}, drops: {stats["drops_injected"]}.
Webhook: {e(str(hooks["url"]))} (active: {hooks["active"]}, pending events: {hooks["pending_events"]})</p></section>
<section><h2>Bills awaiting payment</h2><table><tr><th>Number</th><th>Supplier</th><th>Total</th><th>Due</th><th></th></tr>{bill_rows}</table>
<h2>Recent payments</h2><table><tr><th>Bill</th><th>Amount</th><th>Status</th><th></th></tr>{payment_rows}</table></section>
<section><h2>Contacts</h2><form method="post" action="/_sandbox/console/contacts">New contact <input name="name" size="30">
<button>Add</button></form><form method="post" action="/_sandbox/console/contacts">Rename <select name="contact_id">{contact_options}</select>
to <input name="name" size="30"><button>Rename</button></form></section>
<section><h2>Records</h2><table>{count_rows}</table><h2>Calls</h2><table>{call_rows}</table></section></body></html>"""
