"""Building an xero-python ApiClient safely, and turning our dicts into SDK models (pitfalls §4.5).

- `Configuration()` is a copy-of-first-instance singleton: never pass arguments, assign afterwards (#1).
- urllib3's hidden retries sleep on Retry-After, possibly for hours: switched off (#2).
- The SDK refreshes tokens on its own when it holds a refresh token; we never give it one, so refresh
  stays with the connection layer (under its lock). An expired token fails locally instead (#13, §4.1).
- Model defaults add readOnly keys (HasAttachments …) that strict validators reject: cleared (#10).
- Money is quantised before the SDK turns Decimals into floats (#8); enums come from dicts via the
  SDK's own deserialiser, so they are enum objects (#5).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from xero_python.api_client import ApiClient
from xero_python.api_client.configuration import Configuration
from xero_python.api_client.deserializer import deserialize
from xero_python.api_client.oauth2 import OAuth2Token

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FOUR_DP = {"Quantity", "UnitAmount", "UnitPrice"}
READ_ONLY_DEFAULTS = (
    "has_attachments",
    "has_validation_errors",
    "has_account",
    "has_errors",
    "is_discounted",
)


def token_dict(token) -> dict:
    """What the SDK's getter must return: with expires_at, without refresh_token (so it cannot refresh)."""
    if isinstance(token, dict):
        data = dict(token)
        expires_at = data.get("expires_at")
        if isinstance(expires_at, datetime):
            data["expires_at"] = expires_at.timestamp()
    else:
        data = {
            "access_token": token.access_token,
            "expires_at": token.expires_at.timestamp(),
            "scope": token.scope,
        }
    data.pop("refresh_token", None)
    data.setdefault("token_type", "Bearer")
    data.setdefault("scope", [])
    data["expires_in"] = (
        max(0, int(data["expires_at"] - datetime.now(UTC).timestamp()))
        if data.get("expires_at")
        else data.get("expires_in", 1800)
    )
    return {
        k: data.get(k)
        for k in ("access_token", "token_type", "expires_in", "expires_at", "scope", "id_token")
    }


def build_api_client(client_id: str, client_secret: str, get_token) -> ApiClient:
    config = Configuration()
    config.oauth2_token = OAuth2Token(client_id=client_id, client_secret=client_secret)
    api_client = ApiClient(
        config,
        pool_threads=1,
        oauth2_token_getter=lambda: token_dict(get_token()),
        oauth2_token_saver=_refuse_save,
    )
    api_client.rest_client.pool_manager.connection_pool_kw["retries"] = False
    return api_client


def _refuse_save(token) -> None:  # pragma: no cover - unreachable without a refresh token
    raise RuntimeError("the SDK must not refresh tokens; the connection layer does")


def quantise(value, key: str = ""):
    """Decimals and floats to 2 dp (4 for unit amounts and quantities), dates to the MS JSON form the
    SDK's model parser expects, recursively."""
    if isinstance(value, dict):
        return {k: quantise(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [quantise(v, key) for v in value]
    if isinstance(value, str) and ISO_DATE.match(value):
        value = date.fromisoformat(value[:10])
    if isinstance(value, (date, datetime)):
        moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
        return f"/Date({int(utc(moment).timestamp() * 1000)}+0000)/"
    if isinstance(value, (Decimal, float)) and not isinstance(value, bool):
        step = Decimal("0.0001") if key in FOUR_DP else Decimal("0.01")
        return Decimal(str(value)).quantize(step, ROUND_HALF_UP)
    return value


def to_model(record, model_name: str, model_finder):
    """A Xero-shaped dict (PascalCase, as in the docs) or an SDK model → a clean SDK model."""
    model = (
        record if not isinstance(record, dict) else deserialize(model_name, quantise(record), model_finder)
    )
    return clear_read_only(model)


def clear_read_only(model):
    if isinstance(model, list):
        for item in model:
            clear_read_only(item)
        return model
    if not hasattr(model, "openapi_types"):
        return model
    for attr in model.openapi_types:
        value = getattr(model, attr, None)
        if attr in READ_ONLY_DEFAULTS and value is False:
            setattr(model, attr, None)
        elif isinstance(value, list) or hasattr(value, "openapi_types"):
            clear_read_only(value)
    return model


def flag(value: bool | None) -> str | None:
    """Booleans in query strings as Xero writes them (the SDK would send True/False)."""
    return None if value is None else ("true" if value else "false")


def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def lenient_model(model_name: str, data: dict, model_finder):
    """Build a model from Xero's JSON, keeping a field whose value the SDK's enum does not know yet (a new
    plan, edition or status) as the raw string, where the SDK would refuse the whole answer (#6)."""
    model_cls = model_finder.find_model(model_name)
    known, unknown = {}, {}
    by_json = {json_key: attr for attr, json_key in model_cls.attribute_map.items()}
    for key, value in data.items():
        attr = by_json.get(key)
        if attr is None:
            continue
        try:
            deserialize(model_name, {key: value}, model_finder)
        except (ValueError, TypeError):
            unknown[attr] = value
        else:
            known[key] = value
    model = deserialize(model_name, known, model_finder)
    for attr, value in unknown.items():
        private = "_" + attr
        if private.startswith("__"):  # `_class` is stored as the name-mangled `__class`
            private = f"_{model_cls.__name__}{private}"
        setattr(model, private, str(value))
    return model
