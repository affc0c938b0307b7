"""Xero wire formats: Microsoft JSON dates, money, the response envelope."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sandbox.core.ids import new_uuid

MSDATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
CENT = Decimal("0.01")


def msdate(when: datetime | date | float) -> str:
    """`/Date(1552348800000+0000)/` — what Xero puts in every date field."""
    if isinstance(when, (int, float)):
        millis = int(when * 1000)
    elif isinstance(when, datetime):
        millis = int(when.astimezone(UTC).timestamp() * 1000)
    else:
        millis = int(datetime(when.year, when.month, when.day, tzinfo=UTC).timestamp() * 1000)
    return f"/Date({millis}+0000)/"


def parse_date(value) -> float | None:
    """Epoch seconds from an MS JSON date or an ISO date/date-time (naive = UTC); None if unparseable."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    match = MSDATE.match(text)
    if match:
        return int(match.group(1)) / 1000
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def money(value, default: str = "0") -> Decimal:
    try:
        return Decimal(str(value if value is not None else default)).quantize(CENT, ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise ValueError(f"'{value}' is not a valid number")


def number(value, default: str = "0") -> Decimal:
    try:
        return Decimal(str(value if value is not None else default))
    except (InvalidOperation, ValueError):
        raise ValueError(f"'{value}' is not a valid number")


def new_id() -> str:
    """The id of a record the API creates: random, or the repeatable sequence asked for (sandbox.core.ids)."""
    return new_uuid()


def answer_id() -> str:
    """The id of one answer (the envelope's, a problem's): random, so reading does not move the records' ids."""
    return str(uuid.uuid4())


def public(row: dict) -> dict:
    """A stored row as the API shows it: private `_keys` removed, recursively for lists of dicts."""
    out = {}
    for key, value in row.items():
        if key.startswith("_"):
            continue
        if isinstance(value, list):
            value = [public(v) if isinstance(v, dict) else v for v in value]
        elif isinstance(value, dict):
            value = public(value)
        out[key] = value
    return out


def envelope(key: str, records: list, now: float, **extra) -> dict:
    """Xero's response envelope: Id/Status/ProviderName/DateTimeUTC around the plural list."""
    body = {
        "Id": answer_id(),
        "Status": "OK",
        "ProviderName": "Procore Xero Connector (sandbox)",
        "DateTimeUTC": msdate(now),
    }
    body.update(extra)
    body[key] = records
    return body
