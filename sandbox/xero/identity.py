"""Xero identity endpoints: consent page, /connect/token, /connect/revocation, /connections."""

from __future__ import annotations

import base64
import html
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, request

from .oauth_store import CUSTOM_CLIENT_ID, KNOWN_SCOPES, loopback_redirect_ok
from .responses import json_response

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Xero sandbox: {title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;color:#1e3246}}
.box{{border:1px solid #cfd6de;border-radius:8px;padding:1.5rem}} button{{padding:.5rem 1rem;margin-right:.5rem}}
.allow{{background:#13b5ea;color:#fff;border:0}} li{{margin:.2rem 0}}</style></head>
<body><div class="box">{body}</div><p><small>Xero sandbox (emulator): no real Xero account involved.</small></p></body></html>"""


def _page(title: str, body: str, status: int = 200) -> Response:
    return Response(PAGE.format(title=html.escape(title), body=body), status=status, mimetype="text/html")


def _client_auth(store):
    """Client authentication by HTTP Basic (Xero's docs) or form fields (what xero-python sends)."""
    header = request.headers.get("Authorization", "")
    client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
    return store.client(client_id, secret or "") if client_id else None


def identity_blueprint(state) -> Blueprint:
    bp = Blueprint("xero_identity", __name__)
    store = state.auth

    @bp.route("/identity/connect/authorize", methods=["GET", "POST"])
    def authorize():
        params = request.values
        client = store.client(params.get("client_id"))
        redirect_uri = params.get("redirect_uri", "")
        if client is None or CUSTOM_CLIENT_ID == client["client_id"]:
            return _page(
                "unknown client", "<h1>Unknown client</h1><p>The client_id is not registered.</p>", 400
            )
        if not loopback_redirect_ok(redirect_uri):
            return _page(
                "bad redirect",
                f"<h1>Invalid redirect_uri</h1><p>{html.escape(redirect_uri)} is not "
                "registered (the sandbox accepts /oauth/xero/callback/ on any loopback port).</p>",
                400,
            )
        if params.get("response_type") != "code":
            return _page("bad request", "<h1>unsupported_response_type</h1>", 400)
        scopes = params.get("scope", "").split()
        unknown = [s for s in scopes if s not in KNOWN_SCOPES]
        if not scopes or unknown:
            return _page(
                "invalid scope",
                f"<h1>invalid_scope</h1><p>Unknown scopes: "
                f"{html.escape(' '.join(unknown) or '(none requested)')}</p>",
                400,
            )
        if request.method == "POST":
            if request.form.get("decision") != "allow":
                return redirect(
                    f"{redirect_uri}?{urlencode({'error': 'access_denied', 'state': params.get('state', '')})}"
                )
            tenant = request.form.get("tenant_id")
            if tenant not in client["tenant_ids"]:
                return _page("pick an organisation", "<h1>Choose an organisation</h1>", 400)
            code = store.new_code(client["client_id"], redirect_uri, scopes, [tenant])
            return redirect(
                f"{redirect_uri}?{urlencode({'code': code, 'scope': ' '.join(scopes), 'state': params.get('state', '')})}"
            )
        options = "".join(
            f'<option value="{o["tenantId"]}">{html.escape(o["Name"])} ({o["CountryCode"]}, '
            f"{o['Class']})</option>"
            for o in state.organisations
            if o["tenantId"] in client["tenant_ids"]
        )
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(params.get(k, ""))}">'
            for k in ("client_id", "redirect_uri", "response_type", "scope", "state")
        )
        perms = "".join(f"<li>{html.escape(s)}</li>" for s in scopes)
        return _page(
            "authorise",
            f"""<h1>Connect to Xero</h1><p><b>{html.escape(client["client_id"])}</b>
            wants access to:</p><ul>{perms}</ul><form method="post">{hidden}
            <label>Organisation <select name="tenant_id">{options}</select></label><p>
            <button class="allow" name="decision" value="allow">Allow access</button>
            <button name="decision" value="deny">Cancel</button></p></form>""",
        )

    @bp.post("/connect/token")
    def token():
        client = _client_auth(store)
        if client is None:
            return json_response({"error": "invalid_client"}, 400)
        grant = request.form.get("grant_type")
        if grant == "authorization_code" and "authorization_code" in client["grant_types"]:
            issued = store.redeem_code(
                request.form.get("code", ""), client["client_id"], request.form.get("redirect_uri", "")
            )
        elif grant == "refresh_token" and "refresh_token" in client["grant_types"]:
            issued = store.rotate(request.form.get("refresh_token", ""), client["client_id"])
        elif grant == "client_credentials" and "client_credentials" in client["grant_types"]:
            scopes = request.form.get("scope", "").split() or [
                "accounting.settings",
                "accounting.contacts",
                "accounting.invoices",
                "accounting.payments",
                "accounting.banktransactions.read",
                "accounting.manualjournals.read",
            ]
            if any(s not in KNOWN_SCOPES or s == "offline_access" for s in scopes):
                return json_response({"error": "invalid_scope"}, 400)
            issued = store.issue(client["client_id"], scopes, state.webhooks.uuid(), False)
        else:
            return json_response({"error": "unsupported_grant_type"}, 400)
        if issued is None:
            return json_response({"error": "invalid_grant"}, 400)
        return json_response(issued, 200, {"Cache-Control": "no-store"})

    @bp.post("/connect/revocation")
    def revocation():
        client = _client_auth(store)
        if client is None:
            return json_response({"error": "invalid_client"}, 400)
        grant = store.refresh.get(request.form.get("token", "")) or store.access.get(
            request.form.get("token", "")
        )
        if grant and grant["client_id"] == client["client_id"]:
            store.revoke_client(client["client_id"])
        return Response("", 200)

    def _grant():
        return store.bearer(request.headers.get("Authorization"))

    @bp.get("/connections")
    def connections():
        grant = _grant()
        if grant is None:
            return json_response(
                {"Title": "Unauthorized", "Status": 401, "Detail": "AuthenticationUnsuccessful"}, 401
            )
        rows = store.tenants_for(grant)
        if request.args.get("authEventId"):
            rows = [c for c in rows if c["authEventId"] == request.args["authEventId"]]
        return json_response(rows)

    @bp.delete("/connections/<connection_id>")
    def disconnect(connection_id):
        grant = _grant()
        if grant is None:
            return json_response(
                {"Title": "Unauthorized", "Status": 401, "Detail": "AuthenticationUnsuccessful"}, 401
            )
        with state.lock:
            rows = store.connections.get(grant["client_id"], [])
            keep = [c for c in rows if c["id"] != connection_id]
            if len(keep) == len(rows):
                return Response("", 404)
            store.connections[grant["client_id"]] = keep
        return Response("", 204)

    return bp
