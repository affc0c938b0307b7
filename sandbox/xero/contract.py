"""Contract checks: every accounting request and every 200/204/400 response against xero_accounting.yaml.

openapi-core needs `Config(spec_validator_cls=None)` (the official file has string defaults on booleans)
and the spec's own host, so the local URL is rewritten to https://api.xero.com. The spec is parsed once
per process. readOnly properties in request bodies count as violations (as real strictness demands).
Xero answers 400 to a bad `where` on GETs that document no 400; that one undocumented status is allowed.
A file upload (application/octet-stream) is checked as the base64 text the spec's `format: byte` names: the
SDK sends the raw bytes, as Xero takes them.
"""

from __future__ import annotations

import base64
import threading
import warnings
from functools import cache
from pathlib import Path

from openapi_core import Config, OpenAPI
from openapi_core.exceptions import OpenAPIError
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse

SPEC_DIRS = [Path(__file__).resolve().parents[2] / "specs" / "xero"]
VALIDATED_STATUSES = {200, 201, 204, 400}
# openapi-core cannot check OAuth2 security schemes and warns on every call; we check tokens ourselves.
warnings.filterwarnings("ignore", message="Unsupported scheme type", module="openapi_core")
_lock = threading.Lock()  # openapi-core's lazy caches are not documented as thread-safe


def spec_path(name: str = "xero_accounting.yaml") -> Path:
    for folder in SPEC_DIRS:
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(f"{name} not found in {[str(d) for d in SPEC_DIRS]}")


@cache
def accounting_api() -> OpenAPI:
    return OpenAPI.from_file_path(str(spec_path()), config=Config(spec_validator_cls=None))


@cache
def identity_api() -> OpenAPI:
    return OpenAPI.from_file_path(
        str(spec_path("xero-identity.yaml")), config=Config(spec_validator_cls=None)
    )


def _describe(exc: Exception) -> str:
    """Class + the schema errors with their paths (the offending body itself is left out)."""
    errors, seen = [], exc
    while seen is not None and not errors:
        errors = list(getattr(seen, "schema_errors", None) or [])
        seen = seen.__cause__
    if not errors:
        return f"{type(exc).__name__}: {str(exc)[:300]}"
    return f"{type(exc).__name__}: " + "; ".join(f"{list(e.path)}: {e.message[:200]}" for e in errors[:5])


def check(
    method: str,
    path: str,
    query,
    headers: dict,
    body: bytes,
    mimetype: str | None,
    status: int,
    response_body: bytes,
    response_mimetype: str | None,
) -> list[str]:
    """Violations (human-readable) of one exchange under /api.xro/2.0 or /connections."""
    api = accounting_api()
    if path.lower().startswith("/connections"):
        api, path = identity_api(), "/Connections" + path[len("/connections") :]
    if body and mimetype == "application/octet-stream":
        body = base64.b64encode(body).decode()
    req = MockRequest(
        "https://api.xero.com",
        method.lower(),
        path,
        args=query,
        headers=headers,
        data=body or None,
        content_type=mimetype or "application/json",
    )
    found = []
    with _lock, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Unsupported scheme type")  # pytest resets global filters
        try:
            api.validate_request(req)
        except OpenAPIError as exc:  # one exception per failed request
            found.append(f"request {method} {path}: {_describe(exc)}")
        except Exception as exc:  # noqa: BLE001 - a validator crash is reported, never a crashed emulator
            found.append(f"request {method} {path}: validator failed: {type(exc).__name__}: {exc}")
        if status in VALIDATED_STATUSES:
            resp = MockResponse(
                response_body, status_code=status, content_type=response_mimetype or "application/json"
            )
            try:
                api.validate_response(req, resp)
            except ResponseNotFound:
                if not (status == 400 and method == "GET"):
                    found.append(f"response {status} to {method} {path}: status not documented")
            except OpenAPIError as exc:
                found.append(f"response {status} to {method} {path}: {_describe(exc)}")
            except Exception as exc:  # noqa: BLE001 - see above
                found.append(f"response {status} to {method} {path}: validator failed: {type(exc).__name__}")
    return found
