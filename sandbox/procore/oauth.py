"""Procore's login host: /oauth/authorize (consent page), /oauth/token, /oauth/token/info, /oauth/revoke.

Sandbox convenience: besides urn:ietf:wg:oauth:2.0:oob, the default client accepts the path
/oauth/procore/callback/ on ANY loopback origin (http://127.0.0.1:<port> or http://localhost:<port>), so a dev
server or a test server on a random port can complete the code flow. Codes: single-use, 10 minutes.
Refresh tokens: single-use and rotating (the old one dies at once, even if the answer is lost).
client_credentials: no refresh token.
"""

from __future__ import annotations

import html
import re
import secrets
import time
from urllib.parse import urlencode

from flask import Blueprint, jsonify, redirect, request

from .state import SANDBOX_USER

CODE_TTL_S = 600
LOOPBACK_CALLBACK = re.compile(r"^http://(127\.0\.0\.1|localhost)(:\d+)?/oauth/procore/callback/$")


def redirect_allowed(client: dict, uri: str | None) -> bool:
    if not uri:
        return False
    for allowed in client["redirect_uris"]:
        if uri == allowed or ("*" in allowed and LOOPBACK_CALLBACK.match(uri)):
            return True
    return False


def issue(state, client: dict, grant: str, with_refresh: bool) -> dict:
    """Mint an access token (and a refresh token) for a client. Caller holds state.lock."""
    access = secrets.token_urlsafe(32)
    now = state.now()
    lifetime = int(state.settings["token_lifetime_s"])
    refresh = secrets.token_urlsafe(32) if with_refresh else None
    state.table("oauth_access_tokens")[access] = {
        "client_id": client["client_id"],
        "company_ids": list(client["company_ids"]),
        "grant": grant,
        "user_id": SANDBOX_USER["id"],
        "created_at": now,
        "expires_at": now + lifetime,
        "revoked": False,
        "refresh_token": refresh,
    }
    if refresh:
        state.table("oauth_refresh_tokens")[refresh] = {
            "client_id": client["client_id"],
            "access_token": access,
            "used": False,
        }
    answer = {
        "access_token": access,
        "token_type": "bearer",
        "expires_in": lifetime,
        "created_at": int(time.time()),
    }
    if refresh:
        answer["refresh_token"] = refresh
    return answer


def _oauth_error(status: int, error: str, description: str):
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    return response


def blueprint(state) -> Blueprint:
    bp = Blueprint("procore_oauth", __name__)

    @bp.route("/oauth/authorize", methods=["GET", "POST"])
    def authorize():
        source = request.values
        client = state.oauth_clients.get(source.get("client_id", ""))
        redirect_uri = source.get("redirect_uri")
        if client is None:
            return _page("Unknown application", "<p>The client_id is not registered.</p>"), 400
        if source.get("response_type", "code") != "code" or not redirect_allowed(client, redirect_uri):
            return _page(
                "Invalid request", "<p>The redirect URI is not registered for this application.</p>"
            ), 400
        if request.method == "GET":
            return _consent(state, client, source)
        query = {"state": source["state"]} if source.get("state") else {}
        if request.form.get("decision") != "allow":
            query["error"] = "access_denied"
        else:
            code = secrets.token_urlsafe(24)
            with state.lock:
                state.table("oauth_codes")[code] = {
                    "client_id": client["client_id"],
                    "redirect_uri": redirect_uri,
                    "expires_at": state.now() + CODE_TTL_S,
                }
            query = {"code": code, **query}
        if redirect_uri == "urn:ietf:wg:oauth:2.0:oob":
            return _page(
                "Authorization code",
                f"<p>Copy this code into the application:</p>"
                f"<pre id='code'>{html.escape(query.get('code', 'denied'))}</pre>",
            )
        return redirect(f"{redirect_uri}?{urlencode(query)}", code=302)

    @bp.post("/oauth/token")
    def token():
        form = request.form if request.form else (request.get_json(silent=True) or {})
        client = state.oauth_clients.get(form.get("client_id", ""))
        if client is None or form.get("client_secret") != client["client_secret"]:
            return _oauth_error(
                401,
                "invalid_client",
                "Client authentication failed due to unknown client, "
                "no client authentication included, or unsupported method.",
            )
        grant = form.get("grant_type")
        with state.lock:
            if grant == "client_credentials":
                return jsonify(issue(state, client, grant, with_refresh=False))
            if grant == "authorization_code":
                code = state.table("oauth_codes").pop(form.get("code", ""), None)  # single use
                if (
                    code is None
                    or code["client_id"] != client["client_id"]
                    or code["expires_at"] < state.now()
                    or code["redirect_uri"] != form.get("redirect_uri")
                ):
                    return _oauth_error(
                        400,
                        "invalid_grant",
                        "The provided authorization grant is invalid, expired, "
                        "revoked, does not match the redirection URI used in the "
                        "authorization request, or was issued to another client.",
                    )
                return jsonify(issue(state, client, grant, with_refresh=True))
            if grant == "refresh_token":
                old = state.table("oauth_refresh_tokens").get(form.get("refresh_token", ""))
                if old is None or old["used"] or old["client_id"] != client["client_id"]:
                    return _oauth_error(
                        400, "invalid_grant", "The refresh token is invalid, expired or revoked."
                    )
                old["used"] = True  # rotation: dead now, even if this answer never arrives
                return jsonify(issue(state, client, grant, with_refresh=True))
        return _oauth_error(400, "unsupported_grant_type", "The authorization grant type is not supported.")

    @bp.get("/oauth/token/info")
    def token_info():
        header = request.headers.get("Authorization", "")
        value = header[7:].strip() if header.lower().startswith("bearer ") else ""
        with state.lock:
            tok = state.table("oauth_access_tokens").get(value)
            if tok is None or tok["revoked"] or tok["expires_at"] <= state.now():
                return _oauth_error(401, "invalid_token", "The access token is invalid")
            return jsonify(
                {
                    "resource_owner_id": tok["user_id"],
                    "scope": [],
                    "expires_in": int(tok["expires_at"] - state.now()),
                    "application": {"uid": tok["client_id"]},
                    "created_at": int(tok["created_at"]),
                }
            )

    @bp.post("/oauth/revoke")
    def revoke():
        form = request.form if request.form else (request.get_json(silent=True) or {})
        value = form.get("token", "")
        with state.lock:
            revoke_token(state, value)
        return jsonify({})  # always 200, as Procore does

    return bp


def revoke_token(state, value: str) -> None:
    """Revoke an access or refresh token and its partner. Caller holds state.lock."""
    access = state.table("oauth_access_tokens").get(value)
    refresh = state.table("oauth_refresh_tokens").get(value)
    if access:
        access["revoked"] = True
        refresh = state.table("oauth_refresh_tokens").get(access.get("refresh_token") or "")
    if refresh:
        refresh["used"] = True
        partner = state.table("oauth_access_tokens").get(refresh["access_token"])
        if partner:
            partner["revoked"] = True


def _consent(state, client, source):
    companies = "".join(
        f"<li>{html.escape(c['name'])} (company {c['id']})</li>"
        for c in state.companies
        if c["id"] in client["company_ids"]
    )
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{html.escape(source.get(k, ""))}">'
        for k in ("client_id", "redirect_uri", "state", "response_type")
    )
    return _page(
        f"Authorize {html.escape(client['name'])}",
        f"""
      <p>Signed in as <b>{html.escape(SANDBOX_USER["name"])}</b> ({html.escape(SANDBOX_USER["login"])}).</p>
      <p><b>{html.escape(client["name"])}</b> wants to access your Procore account and these companies:</p>
      <ul>{companies}</ul>
      <form method="post" action="/oauth/authorize">{hidden}
        <button name="decision" value="allow">Allow</button>
        <button name="decision" value="deny">Deny</button>
      </form>""",
    )


def _page(title: str, content: str):
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title} · Procore sandbox</title></head>"
        f"<body style='font-family:sans-serif;max-width:40em;margin:3em auto'><h1>{title}</h1>{content}"
        f"<p><small>Procore sandbox — not the real Procore.</small></p></body></html>"
    )
