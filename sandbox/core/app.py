"""Flask plumbing both emulators share: stats per endpoint, injected faults, the control API.

An emulator builds its app with `make_app(name, state, api_prefixes)` and adds its own routes.
Faults apply only to paths under `api_prefixes` (the real API surface), never to /_sandbox.
"""

from __future__ import annotations

import socket
import time
from dataclasses import asdict

from flask import Blueprint, Flask, abort, jsonify, request

from .ids import CURRENT as CURRENT_IDS
from .ids import repeatable
from .state import SandboxState

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
HOLD_AT_MOST_S = 600  # a held call is answered after this even if the barrier was never set off


def make_app(name: str, state: SandboxState, api_prefixes: tuple[str, ...], tenant_header: str = "") -> Flask:
    """`tenant_header`: the request header naming the company / organisation a call is for (stats per tenant)."""
    app = Flask(name)
    app.config["SANDBOX_STATE"] = state
    app.config["SANDBOX_RECORDING"] = None  # a list while POST /_sandbox/recording {"on": true} is in force
    app.url_map.strict_slashes = False

    def is_api() -> bool:
        return request.path.startswith(api_prefixes)

    @app.before_request
    def _ids_of_this_state():
        CURRENT_IDS.set(state.uuids)

    @app.before_request
    def _faults_before():
        if not is_api():
            return None
        faults = state.faults
        if not state.released.is_set():
            with state.lock:
                state.stats.held += 1
            state.released.wait(HOLD_AT_MOST_S)
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        if state.roll(faults.error_rate):
            with state.lock:
                state.stats.errors_injected += 1
            status = 503 if state.roll(0.5) else 500
            response = jsonify({"errors": "Injected server error (sandbox fault)", "message": "Service error"})
            response.status_code = status
            if status == 503:
                response.headers["Retry-After"] = "1"
            return response
        return None

    @app.after_request
    def _stats_and_drop(response):
        if is_api():
            _record(app)
            rule = request.url_rule.rule if request.url_rule else request.path
            with state.lock:
                state.stats.calls[f"{request.method} {rule}"] += 1
                tenant = request.headers.get(tenant_header, "").lower() if tenant_header else ""
                if tenant:
                    state.stats.tenant_calls[tenant] += 1
                if response.status_code == 429:
                    state.stats.throttled += 1
                    if tenant:
                        state.stats.tenant_throttled[tenant] += 1
            if (
                request.method in WRITE_METHODS
                and response.status_code < 300
                and state.roll(state.faults.drop_after_commit_rate)
            ):
                with state.lock:
                    state.stats.drops_injected += 1
                cut_connection()
        return response

    app.register_blueprint(control_blueprint(state))
    app.register_blueprint(recording_blueprint(app))
    return app


# -- request recording (off by default): the benchmark replays the same HTTP calls without the connector --
SKIPPED_HEADERS = {"host", "content-length", "connection", "accept-encoding", "user-agent"}


def _record(app: Flask) -> None:
    calls = app.config["SANDBOX_RECORDING"]
    if calls is None:
        return
    calls.append({"method": request.method, "path": request.path, "query": request.query_string.decode(),
                  "headers": {k: v for k, v in request.headers.items() if k.lower() not in SKIPPED_HEADERS},
                  "body": request.get_data(as_text=True)})


def recording_blueprint(app: Flask) -> Blueprint:
    bp = Blueprint("sandbox_recording", __name__, url_prefix="/_sandbox")

    @bp.post("/recording")
    def recording_set():
        on = bool((request.get_json(silent=True) or {}).get("on"))
        app.config["SANDBOX_RECORDING"] = [] if on else None
        return jsonify({"on": on})

    @bp.get("/recording")
    def recording_get():
        return jsonify(app.config["SANDBOX_RECORDING"] or [])

    return bp


def cut_connection() -> None:
    """Reset the client's connection after the write was applied (the 'lost answer' fault)."""
    sock = request.environ.get("werkzeug.socket")
    if sock is None:
        abort(500)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def control_blueprint(state: SandboxState) -> Blueprint:
    """JSON control surface for tests, demos and the benchmark (the HTML console is per emulator)."""
    bp = Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")

    @bp.post("/reset")
    def reset():
        body = request.get_json(silent=True) or {}
        state.reset(size=body.get("size", state.size), seed=int(body.get("seed", state.seed_value)),
                    tenants=body.get("tenants"))
        return jsonify({"size": state.size, "seed": state.seed_value, "tenants": state.tenants,
                        "records": state.counts()})

    @bp.post("/ids")
    def ids():
        """From now on new records get the ids of `seed`'s sequence (sandbox.core.ids); a reset ends it."""
        seed = int((request.get_json(silent=True) or {}).get("seed", state.seed_value))
        with state.lock:
            state.uuids = repeatable(seed)
        return jsonify({"seed": seed})

    @bp.get("/stats")
    def stats():
        with state.lock:
            return jsonify({"records": state.counts(), **state.stats.as_dict(), "faults": asdict(state.faults),
                            "tenants": state.tenants})

    @bp.post("/stats/reset")
    def stats_reset():
        with state.lock:
            state.stats.__init__()
        return jsonify({"ok": True})

    @bp.post("/faults")
    def faults():
        try:
            return jsonify(state.set_faults(request.get_json(silent=True) or {}))
        except (KeyError, TypeError, ValueError) as exc:
            return jsonify({"error": f"unknown or invalid fault setting: {exc}"}), 400

    @bp.get("/data/<resource>")
    def data(resource):
        if resource not in state.tables:
            return jsonify({"error": f"no such resource {resource!r}", "resources": sorted(state.tables)}), 404
        return jsonify(state.dump(resource))

    @bp.post("/save")
    def save():
        state.save()
        return jsonify({"saved": str(state.persist_path) if state.persist_path else None})

    return bp
