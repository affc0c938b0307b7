"""JSON bodies the way Xero writes them (numbers stay numbers: Flask would turn Decimals into strings)."""

from __future__ import annotations

import json
from decimal import Decimal

from flask import Response

from .formats import answer_id, envelope, public


def _default(value):
    if isinstance(value, Decimal):
        return float(value)  # amounts have at most 4 dp, exact enough as a JSON number
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(body) -> str:
    return json.dumps(body, default=_default)


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(dumps(body), status=status, mimetype="application/json", headers=headers or {})


def ok(key: str, rows: list, now: float, **extra) -> Response:
    return json_response(envelope(key, [public(r) for r in rows], now, **extra))


def validation_error(elements: list[dict], message: str = "A validation exception occurred") -> Response:
    return json_response(
        {"ErrorNumber": 10, "Type": "ValidationException", "Message": message, "Elements": elements}, 400
    )


def problem(status: int, title: str, detail: str, headers: dict | None = None) -> Response:
    return json_response(
        {
            "Type": None,
            "Title": title,
            "Status": status,
            "Detail": detail,
            "Instance": answer_id(),
            "Extensions": {},
        },
        status,
        headers,
    )


def not_found() -> Response:
    return Response("The resource you're looking for cannot be found", status=404, mimetype="text/plain")
