"""create_app: the Procore emulator as one Flask app (login host and API host share the server)."""

from __future__ import annotations

import os

from flask import Flask, request

from sandbox.core.app import make_app

from . import console, contract, oauth, routes, webhooks
from .api import ApiError, add_rate_headers, authenticate, error_response

API_PREFIXES = ("/rest/", "/oauth/token", "/oauth/revoke")


def create_app(state, validate_contract: bool = False) -> Flask:
    # PROCORE_SANDBOX_VALIDATE=1 switches validation on for servers started without the flag (whole-suite runs).
    validate_contract = validate_contract or os.environ.get("PROCORE_SANDBOX_VALIDATE") == "1"
    app = make_app("procore", state, api_prefixes=API_PREFIXES, tenant_header="Procore-Company-Id")
    if not hasattr(state, "contract_violations"):
        state.contract_violations = []
    app.register_blueprint(oauth.blueprint(state))
    app.register_error_handler(ApiError, error_response)

    def route(method, rule, endpoint=None):
        def decorate(fn):
            app.add_url_rule(rule, endpoint=endpoint or fn.__name__, view_func=fn, methods=[method])
            return fn

        return decorate

    @app.before_request
    def _rest_gate():
        if not request.path.startswith("/rest/"):
            return
        if validate_contract:
            problems = contract.check_request(
                request.method, request.path, request.args, request.get_json(silent=True)
            )
            if problems:
                with state.lock:
                    state.contract_violations.extend(problems)
        authenticate(state)
        return

    @app.after_request
    def _rest_after(response):
        if not request.path.startswith("/rest/"):
            return response
        add_rate_headers(response)
        if validate_contract and response.status_code in (200, 201) and response.is_json:
            problems = contract.check_response(request.method, request.path, response.get_json())
            if problems:
                with state.lock:
                    state.contract_violations.extend(problems)
        return response

    routes.register(app, state, route)
    routes.register_storage(app, state)
    webhooks.register(app, state, route)
    app.register_blueprint(console.blueprint(state, app))
    pump = webhooks.DeliveryPump(state)
    pump.start()
    app.extensions["procore_webhook_pump"] = pump
    return app
