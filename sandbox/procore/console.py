"""/_sandbox/ for people and tests: HTML console, OAuth clients, settings, webhook flush, PM/approver actions.

Actions act as a Procore user through the real API surface (an in-process request with a console token), so
they count in the stats, obey the write rules and fire webhooks exactly like an API call would.
"""

from __future__ import annotations

import html
import secrets

from flask import Blueprint, jsonify, redirect, request

from . import oauth, webhooks
from .state import CONSOLE_CLIENT_ID, DEFAULT_SETTINGS

ACTIONS = {
    # action: (method, path template, body builder) — what a PM or an approver clicks in Procore
    "create_project": (
        "POST",
        "/rest/v1.0/projects",
        lambda a, c: {"company_id": c, "project": {k: a[k] for k in ("name", "project_number") if k in a}},
    ),
    "create_vendor": (
        "POST",
        "/rest/v1.0/vendors",
        lambda a, c: {"company_id": c, "vendor": {k: a[k] for k in ("name", "email_address") if k in a}},
    ),
    "approve_commitment": (
        "PATCH",
        "/rest/v1.0/{table}/{id}",
        lambda a, c: {"project_id": a["project_id"], a["root"]: {"status": "Approved", "executed": True}},
    ),
    "approve_change_order": (
        "PATCH",
        "/rest/v1.0/change_order_packages/{id}",
        lambda a, c: {"project_id": a["project_id"], "change_order": {"status": "approved"}},
    ),
    "approve_invoice": (
        "PATCH",
        "/rest/v1.1/requisitions/{id}",
        lambda a, c: {
            "project_id": a["project_id"],
            "commitment_id": a["commitment_id"],
            "requisition": {"status": a.get("status", "approved")},
        },
    ),
}


def blueprint(state, app) -> Blueprint:
    bp = Blueprint("procore_console", __name__, url_prefix="/_sandbox")

    @bp.get("/")
    def index():
        return _console_html(state)

    @bp.get("/clients")
    def clients():
        return jsonify(
            [
                {
                    **{k: v for k, v in c.items()},
                    "companies": [co for co in state.companies if co["id"] in c["company_ids"]],
                }
                for c in state.oauth_clients.values()
            ]
        )

    @bp.post("/clients")
    def add_client():
        data = request.get_json(silent=True) or {}
        client = {
            "client_id": data.get("client_id") or f"client-{secrets.token_hex(4)}",
            "client_secret": data.get("client_secret") or secrets.token_urlsafe(16),
            "name": data.get("name", "Test app"),
            "redirect_uris": list(data.get("redirect_uris") or []),
            "company_ids": [int(i) for i in data.get("company_ids") or state.company_ids()[:1]],
        }
        with state.lock:
            state.oauth_clients[client["client_id"]] = client
        return jsonify(client), 201

    @bp.post("/oauth/revoke")
    def revoke_all():
        """Revoke every token (or those of one client): the app was uninstalled / access withdrawn."""
        client_id = (request.get_json(silent=True) or {}).get("client_id")
        with state.lock:
            for value, tok in list(state.table("oauth_access_tokens").items()):
                if client_id in (None, tok["client_id"]):
                    oauth.revoke_token(state, value)
        return jsonify({"ok": True})

    @bp.post("/oauth/expire")
    def expire_all():
        with state.lock:
            for tok in state.table("oauth_access_tokens").values():
                tok["expires_at"] = min(tok["expires_at"], state.now())
        return jsonify({"ok": True})

    @bp.route("/settings", methods=["GET", "POST"])
    def settings():
        data = request.get_json(silent=True) or {}
        unknown = set(data) - set(DEFAULT_SETTINGS)
        if unknown:
            return jsonify({"error": f"unknown settings {sorted(unknown)}", "settings": state.settings}), 400
        with state.lock:
            for key, value in data.items():
                state.settings[key] = type(DEFAULT_SETTINGS[key])(value)
            return jsonify(state.settings)

    @bp.post("/clock/advance")
    def advance_clock():
        """Move the emulator's clock forward (rate-limit windows, token expiry, webhook backoff)."""
        seconds = float((request.get_json(silent=True) or {}).get("seconds", 0))
        with state.lock:
            state.time_offset += max(0.0, seconds)
        return jsonify({"now": state.now()})

    @bp.post("/webhooks/flush")
    def flush():
        """Deliver what is due, now ({"force": true}: ignore backoff; {"advance_s": n}: move time)."""
        data = request.get_json(silent=True) or {}
        with state.lock:
            state.time_offset += float(data.get("advance_s", 0))
        delivered = webhooks.deliver_due(state, force=bool(data.get("force")))
        with state.lock:
            pending = sum(1 for e in state.table("webhook_queue").values() if e["status"] == "pending")
        return jsonify({"delivered": delivered, "pending": pending})

    @bp.post("/act/<action>")
    def act(action):
        if action not in ACTIONS:
            return jsonify({"error": f"unknown action {action!r}", "actions": sorted(ACTIONS)}), 404
        data = dict(request.get_json(silent=True) or request.form.to_dict())
        status, payload = perform(state, app, action, data)
        if request.form:
            return redirect("/_sandbox/", code=303)
        return jsonify(payload), status

    return bp


def perform(state, app, action: str, data: dict):
    """Run one console action through the public API with a console token."""
    company_id = state.company_ids()[0]
    with state.lock:
        token = oauth.issue(
            state,
            {"client_id": CONSOLE_CLIENT_ID, "company_ids": state.company_ids()},
            "console",
            with_refresh=False,
        )["access_token"]
        if action == "approve_commitment":
            table = (
                "purchase_order_contracts"
                if int(data["id"]) in state.table("purchase_order_contracts")
                else "work_order_contracts"
            )
            row = state.table(table).get(int(data["id"])) or {}
            data.update(table=table, root=table[:-1], project_id=row.get("project_id"))
        elif action in ("approve_change_order", "approve_invoice"):
            table = "change_order_packages" if action == "approve_change_order" else "requisitions"
            row = state.table(table).get(int(data["id"])) or {}
            data.update(project_id=row.get("project_id"), commitment_id=row.get("commitment_id"))
    method, path, build = ACTIONS[action]
    client = app.test_client()
    response = client.open(
        path.format(**data),
        method=method,
        json=build(data, company_id),
        headers={"Authorization": f"Bearer {token}", "Procore-Company-Id": str(company_id)},
    )
    return response.status_code, response.get_json(silent=True)


def _console_html(state):
    counts = state.counts()
    with state.lock:
        pending = sorted(
            (
                (t, c)
                for t in ("work_order_contracts", "purchase_order_contracts")
                for c in state.table(t).values()
                if c["status"] != "Approved" and not c.get("deleted_at")
            ),
            key=lambda tc: tc[1]["id"],
        )[:20]
        invoices = [
            q for q in state.table("requisitions").values() if q["status"] in ("draft", "under_review")
        ][:20]
    rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{v}</td></tr>"
        for k, v in counts.items()
        if not k.startswith(("oauth_", "webhook_queue"))
    )
    commitments = "".join(
        f"<option value='{c['id']}'>{html.escape(c['number'])} · {html.escape(c['title'] or '')} "
        f"({html.escape(c['status'])})</option>"
        for _, c in pending
    )
    invoice_opts = "".join(
        f"<option value='{q['id']}'>{html.escape(q['invoice_number'] or str(q['id']))} · "
        f"{html.escape(q['vendor_name'] or '')} ({q['status']})</option>"
        for q in invoices
    )
    clients = "".join(
        f"<li><code>{html.escape(c['client_id'])}</code> / <code>{html.escape(c['client_secret'])}</code>"
        f" → companies {c['company_ids']}; redirect URIs: {html.escape(', '.join(c['redirect_uris']))}</li>"
        for c in state.oauth_clients.values()
    )
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Procore sandbox</title></head>
<body style="font-family:sans-serif;max-width:60em;margin:2em auto">
<h1>Procore sandbox</h1><p>Dataset <b>{html.escape(state.size)}</b>, seed {state.seed_value}.
JSON: <a href="/_sandbox/stats">stats</a>, <a href="/_sandbox/clients">clients</a>,
<a href="/_sandbox/settings">settings</a>, /_sandbox/data/&lt;resource&gt;.</p>
<h2>OAuth clients</h2><ul>{clients}</ul>
<h2>Act as a Procore user</h2>
<form method="post" action="/_sandbox/act/create_project"><label>New project name
 <input name="name" required></label> <button>Create project</button></form>
<form method="post" action="/_sandbox/act/create_vendor"><label>New vendor name
 <input name="name" required></label> <button>Create vendor</button></form>
<form method="post" action="/_sandbox/act/approve_commitment">
 <label>Commitment <select name="id">{commitments}</select>
 </label> <button>Approve commitment</button></form>
<form method="post" action="/_sandbox/act/approve_invoice"><label>Subcontractor invoice
 <select name="id">{invoice_opts}</select></label> <button>Approve invoice</button></form>
<h2>Records</h2><table>{rows}</table></body></html>"""
