"""One exception family for everything Procore can answer (reference §7 error shapes).

`ProcoreError(status, message, fields)`: `fields` maps a field name to its messages, e.g.
{"name": ["can't be blank"]}; `message` is one human sentence built from whatever shape the body had.
"""

from __future__ import annotations

import json


class ProcoreError(Exception):
    def __init__(
        self,
        status: int | None,
        message: str,
        fields: dict[str, list[str]] | None = None,
        body=None,
        retry_after: float | None = None,
    ):
        super().__init__(f"{status or 'no answer'}: {message}")
        self.status, self.message, self.fields = status, message, fields or {}
        self.body, self.retry_after = body, retry_after


class ProcoreAuthError(ProcoreError):
    """401/403: token rejected twice, app not connected to the company, no permission."""


class ProcoreInvalidGrant(ProcoreAuthError):
    """The code or refresh token is dead: the connection needs re-authorisation."""


class ProcoreNotFound(ProcoreError):
    """404 (Procore also answers 404 for records the user may not see)."""


class ProcoreValidationError(ProcoreError):
    """422 (and 400/406/409/413): the request was understood and refused; never retried."""


class ProcoreRateLimited(ProcoreError):
    """A 429 whose wait exceeds max_wait_s: retry after `retry_after` seconds (e.g. a Celery countdown)."""


class ProcoreServerError(ProcoreError):
    """5xx after the retries we are allowed to make."""


class ProcoreConnectionError(ProcoreError):
    """No answer at all (connect error, timeout) for a call that is safe to repeat."""


class ProcoreOutcomeUnknown(ProcoreConnectionError):
    """A non-idempotent write was sent and the answer was lost: look it up (origin_id) before re-sending."""


def parse_body(text: str) -> tuple[str, dict[str, list[str]], object]:
    """(message, fields, parsed body) from any Procore error body."""
    try:
        body = json.loads(text) if text else None
    except ValueError:
        return (text.strip()[:300] or "no message"), {}, text
    fields: dict[str, list[str]] = {}
    messages: list[str] = []
    if isinstance(body, dict):
        _collect(body.get("errors"), fields, messages)
        error = body.get("error")
        if isinstance(error, dict):  # v2 style {"error": {"code", "message", "details": [...]}}
            messages.append(str(error.get("message") or error.get("code") or ""))
            for detail in error.get("details") or []:
                if isinstance(detail, dict):
                    name = (
                        detail.get("field") or detail.get("attribute") or detail.get("reason_code") or "base"
                    )
                    fields.setdefault(str(name), []).append(str(detail.get("message") or detail))
        elif error:
            messages.append(str(body.get("error_description") or error))
        if body.get("message"):
            messages.insert(0, str(body["message"]))
        if isinstance(body.get("base"), list):  # ErrorsResponse {"base": [...], "fields": {label: msg}}
            messages += [str(m) for m in body["base"]]
        if isinstance(body.get("fields"), dict):
            for name, msg in body["fields"].items():
                fields.setdefault(str(name), []).extend(msg if isinstance(msg, list) else [str(msg)])
    elif isinstance(body, list):
        messages += [str(m) for m in body]
    if fields and not messages:
        messages = [
            f"{name} {'; '.join(msgs)}" if name != "base" else "; ".join(msgs)
            for name, msgs in fields.items()
        ]
    message = "; ".join(dict.fromkeys(m for m in messages if m)) or "no message"
    return message, fields, body


def _collect(errors, fields, messages) -> None:
    if isinstance(errors, dict):
        for name, msgs in errors.items():
            fields.setdefault(str(name), []).extend(msgs if isinstance(msgs, list) else [str(msgs)])
    elif isinstance(errors, list):
        messages.extend(str(e) for e in errors)
    elif errors:
        messages.append(str(errors))


def from_response(status: int, text: str, headers=None) -> ProcoreError:
    message, fields, body = parse_body(text)
    retry_after = _float((headers or {}).get("Retry-After"))
    if status in (401, 403):
        cls = ProcoreAuthError
    elif status == 404:
        cls = ProcoreNotFound
    elif status == 429:
        cls = ProcoreRateLimited
    elif status >= 500:
        cls = ProcoreServerError
    elif status in (400, 406, 409, 413, 422):
        cls = ProcoreValidationError
    else:
        cls = ProcoreError
    return cls(status, message, fields, body, retry_after)


def _float(value) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
