"""procore-endpoints.json as a contract: find the operation of a request, check it, check the answer.

Loaded and compiled once per process. Request checks: path + method known, required parameters present
(the spec marks `company_id` and `project_id` both required where its text says "either … or"), no
undocumented query parameters, body valid against the operation's schema (unknown keys refused at the two
outer levels). Response checks: every documented top-level field present, non-null values of the right
JSON type (money must be strings where the spec says string), and on GET answers no field the contract does
not list (lists and shows are held to their documented fields, nested objects too where the contract lists
theirs; `%{…}` custom-field maps and schemas the derived copy cut off are left open).
"""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path

import jsonschema

SPEC_PATH = Path(__file__).resolve().parents[2] / "specs" / "procore" / "procore-endpoints.json"
TRUNCATED = "(nested object)"  # how the derived spec marks a schema it cut off
JSON_TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
    "array": list,
}


class Operation:
    def __init__(self, op: dict):
        self.id, self.method, self.path = op["operationId"], op["method"], op["path"]
        self.params = {p["name"]: p for p in op.get("parameters", [])}
        self.query = {_bare(n) for n, p in self.params.items() if p["in"] == "query"}
        self.either = {
            n
            for n, p in self.params.items()
            if p.get("required") and "either" in (p.get("description") or "").lower()
        }
        self.required = {
            n for n, p in self.params.items() if p.get("required") and p["in"] == "query"
        } - self.either
        self.types = {_bare(n): (p.get("schema") or {}).get("type") for n, p in self.params.items()}
        body = (op.get("requestBody") or {}).get("schema")
        self.body_validator = _validator(body) if isinstance(body, dict) and body.get("properties") else None
        self.response = (
            (op.get("responses") or {}).get("200") or (op.get("responses") or {}).get("201") or {}
        ).get("schema")
        self.regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", op["path"]) + "/?$")
        self.literal_weight = op["path"].count("{")


def _bare(name: str) -> str:
    return name.removesuffix("[]")


@lru_cache(maxsize=1)
def operations() -> list[Operation]:
    ops = [Operation(op) for op in json.loads(SPEC_PATH.read_text())["operations"].values()]
    return sorted(ops, key=lambda o: o.literal_weight)  # literal segments (…/sync) beat {id}


def find(method: str, path: str) -> Operation | None:
    for op in operations():
        if op.method == method and op.regex.match(path):
            return op
    return None


# Where our copy cut a list's item schema, the list is held to the documented schema of the same Procore
# serializer: the work order contract list is the commitment list the purchase order list documents (less
# the PO-only fields), v1.1 projects extend the v1.0 list, a cost code listed is the cost code shown.
STAND_INS = {
    "RestV10WorkOrderContractsGet": "RestV10PurchaseOrderContractsGet",
    "RestV11ProjectsGet": "RestV10ProjectsGet",
    "RestV10CostCodesGet": "RestV10CostCodesIdGet",
}
PO_ONLY = {"assignee", "bill_to_address", "ship_to_address", "ship_via", "delivery_date", "payment_terms",
           "billing_schedule_of_values_status"}


def _by_id(operation_id: str) -> Operation | None:
    return next((op for op in operations() if op.id == operation_id), None)


@lru_cache(maxsize=None)
def _stand_in(operation_id: str) -> dict | None:
    other = _by_id(STAND_INS[operation_id])
    schema = copy.deepcopy(other.response) if other and isinstance(other.response, dict) else None
    if schema is None:
        return None
    item = schema.get("items") if schema.get("type") == "array" else schema
    if operation_id == "RestV10WorkOrderContractsGet":
        for name in PO_ONLY:
            (item.get("properties") or {}).pop(name, None)
    return schema if schema.get("type") == "array" else {"type": "array", "items": schema}


def documented_fields(method: str, path: str) -> dict | None:
    """The response schema of the matching operation (used to fill every documented field)."""
    op = find(method, path)
    if op is None:
        return None
    if op.id in STAND_INS:
        return _stand_in(op.id)
    return op.response


def _open(schema) -> bool:
    """No field list to hold an object to: none given, cut off by the derived copy, or a `%{…}` map."""
    if not isinstance(schema, dict) or schema.get("description") == TRUNCATED:
        return True
    props = schema.get("properties")
    return not props or any("%{" in name for name in props)


def held(schema, value):
    """A copy of `value` with only the fields `schema` lists (recursively where nested schemas list theirs)."""
    if isinstance(value, list):
        items = schema.get("items") if isinstance(schema, dict) and schema.get("type") == "array" else schema
        return [held(items, v) for v in value]
    if not isinstance(value, dict):
        return value
    if _open(schema):
        return copy.deepcopy(value)
    props = schema["properties"]
    return {k: held(props[k] or {}, v) for k, v in value.items() if k in props}


def _extras(schema, value, where: str) -> list[str]:
    if isinstance(value, list):
        items = schema.get("items") if isinstance(schema, dict) and schema.get("type") == "array" else schema
        return [p for v in value[:3] for p in _extras(items, v, where + "[]")]
    if not isinstance(value, dict) or _open(schema):
        return []
    props = schema["properties"]
    found = [f"{where}: field {k!r} is not in the contract" for k in sorted(set(value) - set(props))]
    for name, sub in props.items():
        if name in value and isinstance(value[name], (dict, list)):
            found += _extras(sub or {}, value[name], f"{where}.{name}")
    return found


def _validator(schema: dict):
    schema = _strictish(copy.deepcopy(schema), depth=0)
    return jsonschema.Draft7Validator(schema)


def _strictish(schema, depth):
    """Allow null everywhere (the spec's enums include null); refuse unknown keys at the outer two levels."""
    if not isinstance(schema, dict):
        return schema
    if schema.get("description") == TRUNCATED:
        return {}  # the derived spec cut the schema here: anything goes
    t = schema.get("type")
    if isinstance(t, str) and t not in ("object", "array"):
        schema["type"] = [t, "null"]
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = list(schema["enum"]) + [None]
    for key in ("format",):  # "decimal", "date" etc. are not enforced by the real API on input either
        schema.pop(key, None)
    props = schema.get("properties")
    if isinstance(props, dict):
        for name, sub in list(props.items()):
            props[name] = _strictish(sub, depth + 1)
        if depth <= 1 and props and not any("%{" in name for name in props):
            schema["additionalProperties"] = False
        schema["type"] = ["object", "null"] if depth else "object"
    if isinstance(schema.get("items"), dict):
        schema["items"] = _strictish(
            schema["items"], depth + 3
        )  # sync items: lenient (ids, parent_origin_id…)
    return schema


def check_request(method: str, path: str, args, body) -> list[str]:
    op = find(method, path)
    if op is None:
        return [f"{method} {path}: no such operation in procore-endpoints.json"]
    where = f"{op.id} ({method} {path})"
    sent = {_bare(name) for name in args}
    problems = [f"{where}: missing required query parameter {name!r}" for name in sorted(op.required - sent)]
    body_keys = set(body) if isinstance(body, dict) else set()
    if op.either and not (op.either & (sent | body_keys)):
        problems.append(f"{where}: needs one of {sorted(op.either)}")
    problems += [f"{where}: undocumented query parameter {name!r}" for name in sorted(sent - op.query)]
    for name in sorted(sent & op.query):
        expected = op.types.get(name)
        if expected == "integer" and not all(
            re.fullmatch(r"-?\d+", v) for v in args.getlist(name + "[]") or args.getlist(name)
        ):
            problems.append(f"{where}: query parameter {name!r} must be an integer")
    if method in ("POST", "PATCH", "PUT") and op.body_validator is not None:
        if body is None:
            problems.append(f"{where}: a JSON body is required")
        else:
            for error in sorted(op.body_validator.iter_errors(body), key=str)[:5]:
                loc = "/".join(map(str, error.absolute_path)) or "<body>"
                problems.append(f"{where}: body {loc}: {error.message}")
    return problems


def check_response(method: str, path: str, payload) -> list[str]:
    op = find(method, path)
    schema = documented_fields(method, path)
    if op is None or not isinstance(schema, dict):
        return []
    where = f"{op.id} response"
    items = payload if isinstance(payload, list) else [payload]
    if schema.get("type") == "array":
        schema = schema.get("items") or {}
    problems: list[str] = []
    for item in items[:50]:
        problems += _check_object(schema, item, where)
        if method == "GET":
            problems += _extras(schema, item, where)
        if problems:
            break
    return problems


def _check_object(schema: dict, obj, where: str) -> list[str]:
    props = schema.get("properties") or {}
    if not props or not isinstance(obj, dict):
        return []
    problems = []
    for name, sub in props.items():
        if "%{" in name:
            continue
        if name not in obj:
            problems.append(f"{where}: documented field {name!r} missing")
            continue
        value, expected = obj[name], (sub or {}).get("type")
        if value is None or expected not in JSON_TYPES or (sub or {}).get("description") == TRUNCATED:
            continue
        if not isinstance(value, JSON_TYPES[expected]) or (
            expected in ("integer", "number") and isinstance(value, bool)
        ):
            problems.append(f"{where}: field {name!r} should be {expected}, got {type(value).__name__}")
    return problems
