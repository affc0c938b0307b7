"""The Xero emulator's Flask app: identity + accounting API + the /_sandbox console and controls."""

from __future__ import annotations

from flask import Flask, g, request

from sandbox.core.app import make_app

from . import contract
from .api import accounting_blueprint
from .console import console_blueprint
from .identity import identity_blueprint
from .limits import RateLimited
from .oauth_store import CONSOLE_CLIENT_ID, CUSTOM_CLIENT_ID
from .responses import problem
from .state import RESOURCES

API_PREFIX = "/api.xro/2.0/"
# Real Xero routes ignore case (the SDK calls /Connections); map any casing onto ours.
CANONICAL = {
    name.lower(): name for name in RESOURCES + ("api.xro", "Options", "connections", "Organisation", "Allocations")
}
SCOPE_FAMILY = {
    "organisation": "accounting.settings",
    "accounts": "accounting.settings",
    "taxrates": "accounting.settings",
    "items": "accounting.settings",
    "trackingcategories": "accounting.settings",
    "contacts": "accounting.contacts",
    "purchaseorders": "accounting.invoices",
    "invoices": "accounting.invoices",
    "creditnotes": "accounting.invoices",
    "attachments": "accounting.attachments",
    "payments": "accounting.payments",
    "batchpayments": "accounting.payments",
    "banktransactions": "accounting.banktransactions",
    "manualjournals": "accounting.manualjournals",
}
BROAD = {
    "accounting.invoices",
    "accounting.payments",
    "accounting.banktransactions",
    "accounting.manualjournals",
}


class CaseInsensitivePaths:
    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/_sandbox") and not path.startswith("/identity"):
            environ["PATH_INFO"] = "/".join(CANONICAL.get(part.lower(), part) for part in path.split("/"))
        return self.wsgi_app(environ, start_response)


def _scope_ok(scopes: list[str], resource: str, write: bool) -> bool:
    family = SCOPE_FAMILY.get(resource.lower())
    if family is None:
        return True
    accepted = {family} if write else {family, family + ".read"}
    if family in BROAD:  # the deprecated broad scope still works for existing apps
        accepted |= (
            {"accounting.transactions"}
            if write
            else {"accounting.transactions", "accounting.transactions.read"}
        )
    if resource.lower() == "items":  # Items are listed under both settings and invoices
        accepted |= {"accounting.invoices"} if write else {"accounting.invoices", "accounting.invoices.read"}
    return bool(accepted & set(scopes))


def create_app(state, validate_contract: bool = False) -> Flask:
    app = make_app(
        "xero", state, api_prefixes=("/api.xro/", "/connect/token", "/connect/revocation", "/connections"),
        tenant_header="xero-tenant-id",
    )
    app.wsgi_app = CaseInsensitivePaths(app.wsgi_app)
    app.config["VALIDATE_CONTRACT"] = validate_contract

    def guard():
        """Auth, tenant, scope, then rate limits — in Xero's order. Runs before the shared fault hooks so
        a call holds its concurrency slot while injected latency passes (that is what 'in flight' means)."""
        if not request.path.startswith(API_PREFIX):
            return None
        grant = state.auth.bearer(request.headers.get("Authorization"))
        if grant is None:
            return problem(401, "Unauthorized", "AuthenticationUnsuccessful", {"WWW-Authenticate": "Bearer"})
        tenant = request.headers.get("xero-tenant-id")
        if not tenant and grant["client_id"] == CUSTOM_CLIENT_ID:
            tenant = state.tenant_ids()[0]
        if not tenant:
            return problem(400, "Bad Request", "The xero-tenant-id header is required")
        if tenant.lower() not in {c["tenantId"] for c in state.auth.tenants_for(grant)}:
            return problem(403, "Forbidden", "AuthorizationUnsuccessful")
        parts = request.path[len(API_PREFIX) :].split("/")
        # A document's files need accounting.attachments, whatever the document (…/{id}/Attachments/…).
        resource = "Attachments" if len(parts) > 2 and parts[2] == "Attachments" else parts[0]
        if not _scope_ok(grant["scopes"], resource, request.method != "GET"):
            return problem(
                403, "Forbidden", "AuthorizationUnsuccessful: the token lacks the scope for " + resource
            )
        g.tenant, g.client_id = tenant.lower(), grant["client_id"]
        if grant["client_id"] == CONSOLE_CLIENT_ID:
            return None  # a person in the Xero UI does not spend the app's rate limits
        with state.lock:
            try:
                state.limits.acquire(g.tenant)
            except RateLimited as exc:
                return problem(
                    429,
                    "Too Many Requests",
                    f"You've exceeded the {exc.problem} rate limit",
                    {"Retry-After": str(exc.retry_after), "X-Rate-Limit-Problem": exc.problem},
                )
        g.counted = True
        return None

    app.before_request_funcs.setdefault(None, []).insert(0, guard)

    @app.after_request
    def limit_headers(response):
        if getattr(g, "counted", False):
            with state.lock:
                response.headers.update(state.limits.headers(g.tenant))
        return response

    @app.after_request
    def check_contract(response):
        if app.config["VALIDATE_CONTRACT"] and request.path.startswith((API_PREFIX, "/connections")):
            found = contract.check(
                request.method,
                request.path,
                request.args,
                dict(request.headers),
                request.get_data(),
                request.mimetype,
                response.status_code,
                response.get_data(),
                response.mimetype,
            )
            if found:
                with state.lock:
                    state.contract_violations.extend(found)
        return response

    @app.teardown_request
    def release(_exc):
        if getattr(g, "counted", False):
            state.limits.release(g.tenant)

    app.register_blueprint(identity_blueprint(state))
    app.register_blueprint(accounting_blueprint(state))
    app.register_blueprint(console_blueprint(state, app))
    return app
