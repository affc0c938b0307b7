"""Webhooks: hooks, triggers, events and at-least-once delivery (plan_your_app/webhooks).

A hook's `api_version` picks the payload Procore POSTs: v2.0 (legacy, the default), v3.0 (+ related
resources) or v4.0 (string ids, `reason` for `event_type`, `resource_type` for `resource_name`, a ULID `id`,
no ulid/metadata). Project Vendors `update` events ended on 2026-06-30 (announcements/
webhook_fanout_migration): such a trigger is refused; Company Vendors carry vendor changes.

A failed delivery pauses its hook's queue and retries with exponential backoff from 1 s up to 1 h on the
state's clock; after 12 h of failures the event is discarded. Every attempt is recorded as a delivery. The
`duplicate_webhook_rate` fault delivers a successful event a second time.
"""

from __future__ import annotations

import logging
import secrets
import threading

import requests
from flask import g, jsonify, request

from .api import ApiError, body, documented, fail, param
from .state import SANDBOX_USER, utc_iso

log = logging.getLogger(__name__)
TIMEOUT_S = 5
MAX_BACKOFF_S = 3600
DISCARD_AFTER_S = 12 * 3600
RESOURCES = [
    "Projects",
    "Company Vendors",
    "Standard Cost Codes",
    "Standard Cost Code Lists",
    "Line Item Types",
    "Cost Codes",
    "Work Order Contracts",
    "Work Order Contract Line Items",
    "Purchase Order Contracts",
    "Purchase Order Contract Line Items",
    "Change Order Packages",
    "Contract Payments",
    "Direct Costs",
    "Direct Cost Line Items",
    "Project Vendors",
]
PAYLOAD_VERSIONS = {"v2": "v2.0", "v2.0": "v2.0", "v3": "v3.0", "v3.0": "v3.0", "v4": "v4.0", "v4.0": "v4.0"}
# resource → event types it cannot be subscribed to (GET /webhooks/resources `except`)
EXCEPT = {
    "Projects": ["delete"],
    "Company Vendors": ["delete"],
    "Standard Cost Code Lists": ["update", "delete"],
    "Project Vendors": ["update"],  # removed on 2026-06-30: one edit fanned out to every project
}
RELATED = {"Direct Cost Line Items": ("Direct Costs", "direct_cost_id")}  # v3.0 related_resources
_ULID_CHARS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def emit(state, resource_name: str | None, event_type: str, row: dict, company_id: int, project_id) -> None:
    """Queue an event for every hook in scope with a matching trigger. Caller holds state.lock."""
    if not resource_name:
        return
    hooks = state.table("webhook_hooks")
    targets = []
    for trigger in state.table("webhook_triggers").values():
        hook = hooks.get(trigger["webhook_hook_id"])
        if (
            hook is None
            or trigger["resource_name"] != resource_name
            or trigger["event_type"].lower() != event_type
        ):
            continue
        in_scope = (
            hook["owned_by_project_id"] == project_id
            if hook["owned_by_project_id"]
            else hook["owned_by_company_id"] == company_id
        )
        if in_scope and hook["id"] not in targets:
            targets.append(hook["id"])
    if not targets:
        return
    event_id = state.next_id("webhook_events")
    event = {
        "id": event_id,
        "ulid": "".join(secrets.choice(_ULID_CHARS) for _ in range(26)),
        "timestamp": utc_iso(),
        "resource_name": resource_name,
        "resource_id": row["id"],
        "event_type": event_type,
        "company_id": company_id,
        "project_id": None if resource_name == "Company Vendors" else project_id,
        "user_id": SANDBOX_USER["id"],
        "api_version": "v2.0",
        "metadata": {
            "source_user_id": SANDBOX_USER["id"],
            "source_project_id": project_id,
            "source_operation_id": None,
            "source_company_id": company_id,
            "source_application_id": None,
        },
    }
    if resource_name in RELATED:  # what a v3.0 payload adds; the other versions leave it out
        name, key = RELATED[resource_name]
        event["related_resources"] = [{"id": row.get(key), "name": name}] if row.get(key) else []
    state.table("webhook_events")[event_id] = event
    queue = state.table("webhook_queue")
    for hook_id in targets:
        qid = state.next_id("webhook_queue")
        queue[qid] = {
            "id": qid,
            "hook_id": hook_id,
            "event_id": event_id,
            "attempts": 0,
            "status": "pending",
            "next_attempt_at": state.now(),
            "first_attempt_at": None,
            "in_flight": False,
        }


def deliver_due(state, force: bool = False) -> int:
    """Deliver what is due (everything pending when force); per hook in order, stopping at a failure."""
    with state.lock:
        now = state.now()
        by_hook: dict[int, list] = {}
        for entry in sorted(state.table("webhook_queue").values(), key=lambda e: e["id"]):
            if entry["status"] == "pending" and not entry["in_flight"]:
                by_hook.setdefault(entry["hook_id"], []).append(entry)
        batch = []
        for entries in by_hook.values():
            claimed = [e for e in entries if force or e["next_attempt_at"] <= now]
            if claimed and claimed[0] is entries[0]:  # a failing head pauses the hook's queue
                for e in claimed:
                    e["in_flight"] = True
                batch.append(claimed)
    delivered = 0
    for entries in batch:
        for n, entry in enumerate(entries):
            ok = _attempt(state, entry)
            delivered += ok
            if not ok:
                with state.lock:
                    for rest in entries[n + 1 :]:
                        rest["in_flight"] = False
                break
    return delivered


def _attempt(state, entry) -> bool:
    with state.lock:
        hook = state.table("webhook_hooks").get(entry["hook_id"])
        event = state.table("webhook_events").get(entry["event_id"])
        if hook is None or event is None:
            entry.update(status="discarded", in_flight=False)
            return False
        headers = {"Content-Type": "application/json", **(hook.get("destination_headers") or {})}
        url = hook["destination_url"]
        copies = 2 if state.roll(state.faults.duplicate_webhook_rate) else 1
    ok = False
    for _ in range(copies):
        ok = _post(state, entry, hook, event, url, headers)
        if not ok:
            break
    with state.lock:
        now = state.now()
        entry["attempts"] += 1
        entry["first_attempt_at"] = entry["first_attempt_at"] or now
        if ok:
            entry["status"] = "ok"
        elif now - entry["first_attempt_at"] >= DISCARD_AFTER_S:
            entry["status"] = "discarded"
        else:
            entry["next_attempt_at"] = now + min(2 ** (entry["attempts"] - 1), MAX_BACKOFF_S)
        entry["in_flight"] = False
    return ok


def payload(event: dict, version: str) -> dict:
    """The event as a hook of this payload version receives it (the v2.0 record is what is stored)."""
    if version == "v4.0":
        def text(value):
            return None if value is None else str(value)

        return {"id": event["ulid"], "timestamp": event["timestamp"], "reason": event["event_type"],
                "company_id": text(event["company_id"]), "project_id": text(event["project_id"]),
                "user_id": text(event["user_id"]), "resource_type": event["resource_name"],
                "resource_id": text(event["resource_id"])}
    out = {k: v for k, v in event.items() if k != "related_resources"}
    if version == "v3.0":
        out["related_resources"] = event.get("related_resources", [])
    out["api_version"] = version
    return out


def _post(state, entry, hook, event, url, headers) -> bool:
    started = utc_iso()
    status, resp_headers, resp_body, error = None, {}, None, None
    body = payload(event, PAYLOAD_VERSIONS.get(hook.get("api_version") or "v2", "v2.0"))
    try:
        response = requests.post(url, json=body, headers=headers, timeout=TIMEOUT_S)
        status, resp_headers, resp_body = response.status_code, dict(response.headers), response.text[:2000]
    except requests.RequestException as exc:
        error = type(exc).__name__
    ok = status is not None and 200 <= status < 300
    with state.lock:
        did = state.next_id("webhook_deliveries")
        state.table("webhook_deliveries")[did] = {
            "id": did,
            "hook_id": hook["id"],
            "event_id": event["id"],
            "event": {k: v for k, v in event.items() if k != "related_resources"},  # the v1.0 record
            "outcome": "ok" if ok else "retried",
            "started_at": started,
            "completed_at": utc_iso(),
            "response_status": status,
            "response_headers": resp_headers,
            "response_body": resp_body,
            "response_error": error,
        }
    return ok


class DeliveryPump(threading.Thread):
    """Background delivery (on unless settings.webhook_autodeliver is false)."""

    def __init__(self, state):
        super().__init__(name="procore-webhooks", daemon=True)
        self.state, self.stopped = state, threading.Event()

    def run(self):
        while not self.stopped.wait(0.2):
            if self.state.settings.get("webhook_autodeliver"):
                try:
                    deliver_due(self.state)
                except Exception:  # the pump must survive a bad hook; the queue keeps the event
                    log.exception("webhook delivery pump")


# -- the /rest/v1.0/webhooks surface ---------------------------------------------------------------------
def _scope(state):
    company_id, project_id = param("company_id", False), param("project_id", False)
    if company_id is None and project_id is None:
        raise ApiError(400, {"errors": "You must supply either a company_id or project_id"})
    if project_id is not None:
        project = state.project(project_id)
        if project is None or project["company_id"] != getattr(g, "company_id", project["company_id"]):
            raise fail(404, "Project not found")
        return project["company_id"], project_id
    if company_id not in g.token["company_ids"]:
        raise fail(403, "App is not connected to this company")
    return company_id, None


def _present_hook(hook):
    out = {k: v for k, v in hook.items() if k != "destination_headers"}
    auth = (hook.get("destination_headers") or {}).get("Authorization")
    out["destination_headers"] = {
        "Authorization": ("*" * max(0, len(auth) - 5) + auth[-5:]) if auth else None
    }
    return out


def _hook(state, hook_id):
    company_id, project_id = _scope(state)
    hook = state.table("webhook_hooks").get(int(hook_id))
    if hook is None or hook["owned_by_company_id"] != company_id or hook["owned_by_project_id"] != project_id:
        raise fail(404, "Hook not found")
    return hook


def register(app, state, route):
    @route("POST", "/rest/v1.0/webhooks/hooks")
    def create_hook():
        company_id, project_id = _scope(state)
        attrs = body().get("hook") or {}
        url = attrs.get("destination_url")
        if not url or not str(url).startswith(("http://", "https://")):
            raise ApiError(422, {"errors": {"destination_url": ["must be an http(s) URL"]}})
        if attrs.get("api_version", "v2") not in PAYLOAD_VERSIONS:
            raise ApiError(422, {"errors": {"api_version": [f"must be one of {', '.join(PAYLOAD_VERSIONS)}"]}})
        with state.lock:
            hid = state.next_id("webhook_hooks")
            hook = state.table("webhook_hooks")[hid] = {
                "id": hid,
                "api_version": attrs.get("api_version", "v2"),
                "namespace": attrs.get("namespace"),
                "destination_url": url,
                "destination_headers": dict(attrs.get("destination_headers") or {}),
                "owned_by_company_id": company_id,
                "owned_by_project_id": project_id,
                "owned_by_user_id": SANDBOX_USER["id"],
            }
            return jsonify(documented(_present_hook(hook))), 201

    @route("GET", "/rest/v1.0/webhooks/hooks")
    def list_hooks():
        company_id, project_id = _scope(state)
        namespace = request.args.get("namespace")
        with state.lock:
            hooks = [
                h
                for h in state.table("webhook_hooks").values()
                if h["owned_by_company_id"] == company_id
                and h["owned_by_project_id"] == project_id
                and namespace in (None, "*", h["namespace"])
            ]
            return jsonify(documented([_present_hook(h) for h in hooks]))

    @route("PATCH", "/rest/v1.0/webhooks/hooks/<int:hook_id>")
    def update_hook(hook_id):
        with state.lock:
            hook = _hook(state, hook_id)
            attrs = body().get("hook") or {}
            if "api_version" in attrs and attrs["api_version"] not in PAYLOAD_VERSIONS:
                raise ApiError(
                    422, {"errors": {"api_version": [f"must be one of {', '.join(PAYLOAD_VERSIONS)}"]}}
                )
            for key in ("namespace", "destination_url", "destination_headers", "api_version"):
                if key in attrs:
                    hook[key] = attrs[key]
            return jsonify(documented(_present_hook(hook)))

    @route("DELETE", "/rest/v1.0/webhooks/hooks/<int:hook_id>")
    def delete_hook(hook_id):
        with state.lock:
            hook = _hook(state, hook_id)
            del state.table("webhook_hooks")[hook["id"]]
        return "", 204

    @route("POST", "/rest/v1.0/webhooks/hooks/<int:hook_id>/triggers")
    def create_trigger(hook_id):
        with state.lock:
            hook = _hook(state, hook_id)
            attrs = body().get("trigger") or {}
            errors = {}
            if attrs.get("resource_name") not in RESOURCES:
                errors["resource_name"] = [f"is not a webhook resource ({', '.join(RESOURCES)})"]
            event_type = str(attrs.get("event_type", "")).lower()
            if event_type not in ("create", "update", "delete"):
                errors["event_type"] = ["must be create, update or delete"]
            elif event_type in EXCEPT.get(attrs.get("resource_name"), []):
                errors["event_type"] = [f"{attrs['resource_name']} cannot be subscribed to for {event_type}"
                                        + (" events (removed on 2026-06-30; use Company Vendors)"
                                           if attrs.get("resource_name") == "Project Vendors" else " events")]
            if errors:
                raise ApiError(422, {"errors": errors})
            tid = state.next_id("webhook_triggers")
            trigger = state.table("webhook_triggers")[tid] = {
                "id": tid,
                "webhook_hook_id": hook["id"],
                "resource_name": attrs["resource_name"],
                "resource_id": None,
                "event_type": attrs["event_type"].upper(),
                "company_id": hook["owned_by_company_id"],
                "project_id": hook["owned_by_project_id"],
                "user_id": SANDBOX_USER["id"],
            }
            return jsonify(documented(dict(trigger))), 201

    @route("GET", "/rest/v1.0/webhooks/hooks/<int:hook_id>/triggers")
    def list_triggers(hook_id):
        with state.lock:
            hook = _hook(state, hook_id)
            rows = [
                dict(t)
                for t in state.table("webhook_triggers").values()
                if t["webhook_hook_id"] == hook["id"]
            ]
            return jsonify(documented(rows))

    @route("DELETE", "/rest/v1.0/webhooks/hooks/<int:hook_id>/triggers/<int:trigger_id>")
    def delete_trigger(hook_id, trigger_id):
        with state.lock:
            hook = _hook(state, hook_id)
            trigger = state.table("webhook_triggers").get(trigger_id)
            if trigger is None or trigger["webhook_hook_id"] != hook["id"]:
                raise fail(404, "Trigger not found")
            del state.table("webhook_triggers")[trigger_id]
        return "", 204

    @route("GET", "/rest/v1.0/webhooks/hooks/<int:hook_id>/deliveries")
    def list_deliveries(hook_id):
        wanted = request.args.get("filters[status]", "any")
        with state.lock:
            hook = _hook(state, hook_id)
            rows = [d for d in state.table("webhook_deliveries").values() if d["hook_id"] == hook["id"]]
        outcome = {"successful": {"ok"}, "failing": {"retried", "failed"}, "discarded": {"discarded"}}.get(
            wanted
        )
        rows = [
            {k: v for k, v in d.items() if k not in ("id", "hook_id")}
            for d in rows
            if outcome is None or d["outcome"] in outcome
        ]
        return jsonify(documented(rows[-int(request.args.get("page_size", 100)) :]))

    @route("GET", "/rest/v1.0/webhooks/resources")
    def list_resources():
        _scope(state)
        return jsonify(
            [
                {
                    "api_version": "v2",
                    "product_category": "sandbox",
                    "tools": name,
                    "except": EXCEPT.get(name, []),
                    **{
                        event: (None if event in EXCEPT.get(name, []) else event)
                        for event in ("create", "update", "delete")
                    },
                }
                for name in RESOURCES
            ]
        )
