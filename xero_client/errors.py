"""One exception family for everything Xero can answer, mapped once from the SDK's exceptions (§4.4).

Messages carry status and Xero's own words, never tokens or whole payloads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


class XeroError(Exception):
    """Base of every error the client raises."""


@dataclass
class ElementResult:
    """Outcome of one element of a batch write, in the order sent."""

    index: int
    ok: bool
    id: str | None = None
    errors: list[str] = field(default_factory=list)
    record: object = field(default=None, repr=False)  # the SDK model Xero returned (LineItemIDs, Status …)


class XeroValidationError(XeroError):
    """400 ValidationException (or a refused request such as a reused Idempotency-Key)."""

    def __init__(self, message: str, elements: list[ElementResult] | None = None) -> None:
        super().__init__(message)
        self.elements = elements or []
        self.messages = [m for e in self.elements for m in e.errors] or [message]


class XeroRateLimited(XeroError):
    """429 for the minute or concurrent limit: wait `retry_after` seconds and try again."""

    def __init__(self, retry_after: float, problem: str) -> None:
        super().__init__(f"Xero rate limit ({problem}); retry after {retry_after:g}s")
        self.retry_after, self.problem = retry_after, problem


class XeroDayLimitReached(XeroError):
    """429 for the daily limit: park the connection until the window frees up."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"Xero daily call limit reached; retry after {retry_after:g}s")
        self.retry_after = retry_after


class XeroAuthError(XeroError):
    """The connection needs re-authorisation (401 after a refresh, or a dead refresh token)."""


class XeroInvalidGrant(XeroAuthError):
    """The token endpoint said invalid_grant: the refresh token (or code) is no longer usable."""


class XeroForbidden(XeroError):
    """403: the token lacks a scope, or the organisation is not connected to this app."""


class XeroNotFound(XeroError):
    pass


class XeroServerError(XeroError):
    """5xx, including Xero being offline for maintenance: retry later with backoff."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"Xero server error {status}: {message}")
        self.status, self.retry_after = status, retry_after


class XeroConnectionError(XeroError):
    """No answer (reset, timeout): the write may or may not have happened."""


def _body(exc) -> dict:
    raw = getattr(exc, "body", None)
    try:
        data = json.loads(raw.decode() if isinstance(raw, bytes) else raw or "")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _header(exc, name: str) -> str | None:
    headers = getattr(exc, "headers", None) or {}
    for key, value in dict(headers).items():
        if key.lower() == name.lower():
            return value
    return None


def from_xero(exc: Exception) -> bool:
    """False for what the worker raises into a call from outside (Celery's soft time limit): not an answer
    of Xero nor a network error, so it must reach the run as it is."""
    return not type(exc).__module__.startswith(("billiard", "celery"))


def from_sdk(exc: Exception) -> XeroError:
    """Translate an xero-python / urllib3 exception into our family."""
    import urllib3

    if isinstance(exc, XeroError):
        return exc
    if isinstance(exc, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError)):
        return XeroConnectionError(f"no answer from Xero ({type(exc).__name__})")
    status = getattr(exc, "status", None)
    if not isinstance(status, int):
        return XeroError(f"unexpected client error {type(exc).__name__}")
    body = _body(exc)
    retry_after = float(_header(exc, "Retry-After") or 60)
    if status == 429:
        problem = (_header(exc, "X-Rate-Limit-Problem") or "minute").lower()
        return XeroDayLimitReached(retry_after) if problem == "day" else XeroRateLimited(retry_after, problem)
    if status == 400 and body.get("error") == "invalid_grant":
        return XeroInvalidGrant("Xero refused the refresh token (invalid_grant)")
    if status == 400:
        elements = [
            ElementResult(i, False, errors=[v.get("Message", "") for v in e.get("ValidationErrors") or []])
            for i, e in enumerate(body.get("Elements") or [])
        ]
        return XeroValidationError(body.get("Message") or "Xero validation error", elements)
    if status == 401:
        return XeroAuthError(f"Xero refused the access token: {body.get('Detail') or 'unauthorised'}")
    if status == 403:
        return XeroForbidden(f"Xero forbade the call: {body.get('Detail') or 'forbidden'}")
    if status == 404:
        return XeroNotFound("Xero has no such record")
    if status >= 500:
        return XeroServerError(
            status,
            body.get("message") or body.get("Message") or "service unavailable",
            float(_header(exc, "Retry-After")) if _header(exc, "Retry-After") else None,
        )
    return XeroError(f"Xero answered {status}")
