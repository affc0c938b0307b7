"""Request plumbing of the /rest surface: auth, Procore-Company-Id, rate limits, paging, filters, errors.

Error bodies follow reference §7: 422 `{"errors": {field: [msg]}}`, 401/403/404 `{"errors": "msg"}`,
400 `{"message": …, "errors": …}`, 429 `{"errors": "You have surpassed…"}`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from flask import g, jsonify, request

from . import contract, ratelimit

NO_COMPANY_HEADER = ("/rest/v1.0/me", "/rest/v1.0/companies")  # exempt unless client_credentials


class ApiError(Exception):
    def __init__(self, status: int, body: dict, headers: dict | None = None):
        super().__init__(status, body)
        self.status, self.body, self.headers = status, body, headers or {}


def fail(status: int, message: str) -> ApiError:
    return ApiError(status, {"errors": message})


def invalid(field_errors: dict[str, list[str]]) -> ApiError:
    return ApiError(422, {"errors": field_errors})


def error_response(exc: ApiError):
    response = jsonify(exc.body)
    response.status_code = exc.status
    for key, value in exc.headers.items():
        response.headers[key] = value
    return response


# -- before / after every /rest call ---------------------------------------------------------------
def authenticate(state) -> None:
    """Bearer token, Procore-Company-Id, rate limit. Sets g.token and g.company_id."""
    header = request.headers.get("Authorization", "")
    token_value = header[7:].strip() if header.lower().startswith("bearer ") else None
    with state.lock:
        token = state.table("oauth_access_tokens").get(token_value) if token_value else None
        if token is None or token.get("revoked") or token["expires_at"] <= state.now():
            raise ApiError(
                401,
                {"errors": "The access token is invalid"},
                {"WWW-Authenticate": 'Bearer realm="Doorkeeper", error="invalid_token"'},
            )
    g.token = token
    exempt = request.method == "GET" and request.path.rstrip("/") in NO_COMPANY_HEADER
    company = request.headers.get("Procore-Company-Id")
    if not company and not (exempt and token["grant"] != "client_credentials"):
        raise ApiError(
            400,
            {"errors": "Missing Procore-Company-Id header!", "message": "Missing Procore-Company-Id header!"},
        )
    if company:
        if not company.isdigit() or int(company) not in token["company_ids"]:
            raise fail(403, "App is not connected to this company")
        g.company_id = int(company)
    if state.faults.rate_limits and token["client_id"] not in state.exempt_clients:
        # Counted per app and company (each connection is one user of one company: see the README).
        allowed, headers = ratelimit.take(state, f"{token['client_id']}:{getattr(g, 'company_id', '-')}")
        g.rate_headers = {k: v for k, v in headers.items() if not k.startswith("_")}
        if not allowed:
            raise ApiError(
                429,
                {
                    "errors": f"You have surpassed the max number of requests for {headers['_window']}"
                    ". Please wait until your limit resets."
                },
                g.rate_headers,
            )


def add_rate_headers(response):
    for key, value in (getattr(g, "rate_headers", None) or {}).items():
        response.headers.setdefault(key, value)
    return response


# -- parameters --------------------------------------------------------------------------------------
def body() -> dict:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def param(name: str, required: bool = True):
    """A scope id from path-less query or the JSON body (Procore accepts either); ints only."""
    value = request.args.get(name)
    if value is None:
        value = body().get(name)
    if value is None or value == "":
        if required:
            raise ApiError(400, {"errors": f"{name} is missing", "message": f"param is missing: {name}"})
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, {"errors": f"{name} must be an integer"}) from None


def request_company_id() -> int:
    company_id = param("company_id", required=False) or getattr(g, "company_id", None)
    if company_id is None:
        raise ApiError(400, {"errors": "company_id is missing"})
    if company_id not in g.token["company_ids"]:
        raise fail(403, "App is not connected to this company")
    return company_id


# -- filters -------------------------------------------------------------------------------------------
def _parse_time(text: str, end: bool) -> str:
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return text + ("T23:59:59Z" if end else "T00:00:00Z")
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(
            400, {"errors": f"invalid date range {text!r}: use YYYY-MM-DD...YYYY-MM-DD or ISO 8601"}
        ) from None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def time_range(value: str) -> tuple[str, str]:
    if "..." not in value:
        raise ApiError(400, {"errors": "date range filters take two ISO 8601 values separated by '...'"})
    start, end = value.split("...", 1)
    return _parse_time(start, False), _parse_time(end, True)


def apply_filters(rows, allowed: set[str]):
    """Apply the `filters[...]` the endpoint supports; all are ANDed, as in Procore."""
    args = request.args
    for key in args:
        match = re.fullmatch(r"filters\[(\w+)\](\[\])?", key)
        if not match or match.group(1) not in allowed:
            continue
        name, values = match.group(1), args.getlist(key)
        if name in ("updated_at", "created_at"):
            lo, hi = time_range(values[0])
            rows = [r for r in rows if r.get(name) and lo <= r[name] <= hi]
        elif name == "id":
            wanted = {int(v) for value in values for v in value.split(",") if v.strip().isdigit()}
            rows = [r for r in rows if r["id"] in wanted]
        elif name == "origin_id":
            rows = [r for r in rows if r.get("origin_id") == values[0]]
        elif name == "status":
            wanted = {v.lower() for v in values}
            rows = [r for r in rows if str(r.get("status", "")).lower() in wanted]
        elif name == "synced":
            want = values[0].lower() == "true"
            rows = [r for r in rows if bool(r.get("origin_id")) == want]
        elif name in ("commitment_id", "contract_id", "vendor_id", "cost_code_id", "line_item_type_id"):
            wanted = {int(v) for v in values if v.isdigit()}
            rows = [r for r in rows if r.get(name) in wanted]
        elif name == "by_status":
            mode = values[0].lower()
            rows = rows if mode == "all" else [r for r in rows if r.get("active", True) == (mode == "active")]
        elif name == "include_deleted":
            mode = values[0].lower()
            rows = [r for r in rows if (mode == "with") or bool(r.get("deleted_at"))]
        elif name == "search":
            needle = values[0].lower()
            rows = [r for r in rows if needle in str(r.get("name", "")).lower()]
    if "include_deleted" in allowed and "filters[include_deleted]" not in args:
        rows = [r for r in rows if not r.get("deleted_at")]
    if "by_status" in allowed and "filters[by_status]" not in args:
        rows = [r for r in rows if r.get("active", True)]  # Procore lists active projects by default
    return rows


# -- paging ------------------------------------------------------------------------------------------
def paginate(state, rows: list, present, paged: bool = True):
    """One page of `rows` with Total / Per-Page / Link headers (reference §4)."""
    if not paged:
        return jsonify(documented([present(r) for r in rows])), 200
    try:
        page = max(1, int(request.args.get("page", 1)))
        per_page = int(request.args.get("per_page", state.settings["default_per_page"]))
    except ValueError:
        raise ApiError(400, {"errors": "page and per_page must be integers"}) from None
    per_page = max(1, min(per_page, int(state.settings["max_per_page"])))
    if int(state.settings["page_size"]) > 0:  # an endpoint that ignores per_page (the docs allow it)
        per_page = int(state.settings["page_size"])
    total = len(rows)
    last = max(1, -(-total // per_page))
    chunk = rows[(page - 1) * per_page : page * per_page]
    response = jsonify(documented([present(r) for r in chunk]))
    if state.settings["total_headers"]:
        response.headers["Total"] = str(total)
        response.headers["Per-Page"] = str(per_page)
    links = []
    base = request.base_url

    def link(number, rel):
        query = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "per_page")]
        query += [("page", number), ("per_page", per_page)]
        links.append(f'<{base}?{urlencode(query)}>; rel="{rel}"')

    if page > 1:
        link(1, "first")
        link(min(page - 1, last), "prev")
    if page < last:
        link(page + 1, "next")
        link(last, "last")
    if links and state.settings["link_headers"]:
        response.headers["Link"] = ", ".join(links)
    return response, 200


# -- money ---------------------------------------------------------------------------------------------
def money(value, field: str) -> str | None:
    if value is None or value == "":
        return None
    try:
        return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"
    except InvalidOperation:
        raise invalid({field: ["is not a number"]}) from None


def documented(payload, method: str | None = None, path: str | None = None):
    """Add every field the spec documents for this operation's answer (null when we hold no value); a GET
    answer (list or show) carries only the fields the contract lists for that endpoint, as Procore's does."""
    method = method or request.method
    schema = contract.documented_fields(method, path or request.path)
    if not isinstance(schema, dict):
        return payload
    if method == "GET":
        payload = contract.held(schema, payload)
    props = schema.get("properties") or {}
    if "entities" in props:  # sync answers
        item_schema = props["entities"].get("items") or {}
        for entity in payload.get("entities", []):
            _fill(item_schema, entity)
        return payload
    target = schema.get("items") if schema.get("type") == "array" else schema
    for obj in payload if isinstance(payload, list) else [payload]:
        _fill(target or {}, obj)
    return payload


def _fill(schema: dict, obj) -> None:
    if not isinstance(obj, dict):
        return
    for name, sub in (schema.get("properties") or {}).items():
        if "%{" in name:
            continue
        sub = sub or {}
        if name not in obj:
            obj[name] = [] if sub.get("type") == "array" else None
        elif sub.get("type") == "array" and isinstance(obj[name], list):
            for child in obj[name]:
                _fill(sub.get("items") or {}, child)
