"""ProcoreClient: one requests.Session per connection; auth callback, company header, limits, retries, paging.

Retry policy: connection errors are retried by urllib3 (connect errors for any method — nothing was sent —,
read errors only for idempotent methods); 429 waits Retry-After / X-Rate-Limit-Reset (nothing was processed);
503 honours Retry-After and 500/502/504 back off, for idempotent calls only; 4xx are never retried.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError
from urllib3.util.retry import Retry

from .errors import (
    ProcoreAuthError,
    ProcoreConnectionError,
    ProcoreError,
    ProcoreOutcomeUnknown,
    ProcoreRateLimited,
    ProcoreValidationError,
    from_response,
)
from .pacing import HeaderPacer
from .resources import ResourcesMixin

log = logging.getLogger(__name__)
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})  # Procore PATCH sets values
# urllib3 re-sends after a read error only for these; PATCH/POST are re-sent by `request` when the caller's
# call is idempotent (a sync whose items all carry id/origin_id is; one that creates blindly is not).
TRANSPORT_RETRIED = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
MAX_PER_PAGE = 1000  # the largest page Procore serves us (the docs: "≤ 2,000 recommended"; we stay at 1000)
SYNC_MAX = 1000
TOO_LARGE = ("Procore refused this record as too large to accept (413 Payload Too Large): shorten its longest "
             "text, such as notes or descriptions, and sync again.")


@dataclass
class Page:
    items: list
    total: int | None
    number: int
    per_page: int
    has_next: bool


@dataclass
class Download:
    filename: str
    content_type: str
    content: bytes = field(repr=False)


@dataclass
class SyncResult:
    entities: list
    errors: list  # each: the submitted attributes + "errors": {field: [messages]}

    @property
    def ok(self) -> bool:
        return not self.errors


class ProcoreClient(ResourcesMixin):
    def __init__(
        self,
        api_url: str,
        company_id: int | None,
        access_token: Callable[[], str],
        on_unauthorized: Callable[[str], str] | None = None,
        session: requests.Session | None = None,
        pacer=None,
        timeout=(5, 60),
        max_wait_s: float = 120.0,
        max_attempts: int = 4,
        sleep=time.sleep,
    ):
        self.api_url, self.company_id = api_url.rstrip("/"), (int(company_id) if company_id else None)
        self._access_token, self._on_unauthorized = access_token, on_unauthorized
        self.session = session or requests.Session()
        # requests reads the proxy and CA variables from the environment again on every call (scans of the
        # whole environment); a worker's environment does not change, so they are read once (per host).
        self.session.trust_env = False
        if self.session.verify is True:
            self.session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        retry = Retry(
            total=3,
            connect=3,
            read=3,
            status=0,
            other=0,
            backoff_factor=0.3,
            allowed_methods=TRANSPORT_RETRIED,
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        self.session.mount("https://", HTTPAdapter(max_retries=retry))
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.pacer = pacer or HeaderPacer(max_sleep_s=max_wait_s)
        self.timeout, self.max_wait_s, self.max_attempts, self._sleep = (
            timeout,
            max_wait_s,
            max_attempts,
            sleep,
        )

    # -- verbs -------------------------------------------------------------------------------------------
    def get(self, path: str, params: dict | None = None):
        return self.request("GET", path, params=params).json()

    def post(self, path: str, json: dict | None = None, params: dict | None = None, idempotent: bool = False):
        return _json(self.request("POST", path, params=params, json=json, idempotent=idempotent))

    def patch(self, path: str, json: dict | None = None, params: dict | None = None):
        return _json(self.request("PATCH", path, params=params, json=json))

    def delete(self, path: str, params: dict | None = None, json: dict | None = None):
        return _json(self.request("DELETE", path, params=params, json=json))

    def request(self, method: str, path: str, params=None, json=None, idempotent: bool | None = None):
        idempotent = method in IDEMPOTENT if idempotent is None else idempotent
        token = self._access_token()
        refreshed = False
        for attempt in range(1, self.max_attempts + 1):
            self.pacer.before_request()
            try:
                try:
                    response = self._send(method, path, params, json, token, idempotent)
                except BaseException:  # no answer (a network error, the worker's time limit): free the place now
                    self.pacer.after_response({})
                    raise
            except ProcoreOutcomeUnknown:
                raise
            except ProcoreConnectionError:
                if method in TRANSPORT_RETRIED or not idempotent or attempt >= self.max_attempts:
                    raise
                self._sleep(0.3 * 2 ** (attempt - 1))
                continue
            self.pacer.after_response(response.headers)
            status = response.status_code
            log.debug("procore %s %s -> %s", method, path, status)  # no tokens, no payloads
            if status < 400:
                return response
            if status == 401 and self._on_unauthorized and not refreshed:
                token, refreshed = self._on_unauthorized(token), True
                continue
            if status == 429:
                self._wait(_retry_after(response), attempt, always=True)
                continue
            if status >= 500 and idempotent and attempt < self.max_attempts:
                self._wait(_retry_after(response) or 0.5 * 2 ** (attempt - 1), attempt)
                continue
            error = from_response(status, response.text, response.headers)
            if status == 401:
                raise ProcoreAuthError(status, error.message, error.fields, error.body)
            raise error
        raise from_response(response.status_code, response.text, response.headers)

    def _send(self, method, path, params, json, token, idempotent) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if self.company_id:  # None only before a company is chosen (GET /companies and /me are exempt)
            headers["Procore-Company-Id"] = str(self.company_id)
        try:
            return self.session.request(
                method,
                f"{self.api_url}{path}",
                params=params,
                json=json,
                headers=headers,
                timeout=self.timeout,
                proxies=_proxies(self.api_url),
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            cls = ProcoreConnectionError if idempotent or _never_sent(exc) else ProcoreOutcomeUnknown
            raise cls(None, f"{method} {path}: no answer ({type(exc).__name__})") from None

    def _wait(self, seconds: float | None, attempt: int, always: bool = False) -> None:
        seconds = max(0.0, seconds if seconds is not None else 1.0 * attempt)
        if seconds > self.max_wait_s or (always and attempt >= self.max_attempts):
            raise ProcoreRateLimited(429, "rate limited; retry later", retry_after=seconds)
        self._sleep(seconds)

    # -- pages -------------------------------------------------------------------------------------------
    def iter_pages(
        self, path: str, params: dict | None = None, per_page: int = MAX_PER_PAGE, start_page: int = 1
    ) -> Iterator[Page]:
        """Each page in order; callers may advance a cursor per page and resume with `start_page`.

        `per_page` is a wish: Procore may serve another page size (the docs give no guarantee), so the end of
        the list is what the answer says — `Link` rel="next" when sent, else `Total` against the rows served
        so far; an answer with neither is a list that does not paginate. A short page never ends the list."""
        number, read, offset = start_page, 0, None
        while True:
            query = {**(params or {}), "page": number, "per_page": per_page}
            response = self.request("GET", path, params=query)
            items = response.json()
            total = _int_header(response, "Total")
            served = _int_header(response, "Per-Page") or len(items) or per_page
            if offset is None:  # rows before the first page read (resuming after a crash)
                offset = (start_page - 1) * served
            read += len(items)
            if response.headers.get("Link"):
                has_next = "next" in response.links
            else:
                has_next = total is not None and bool(items) and offset + read < total
            yield Page(items, total, number, served, has_next)
            if not has_next or not items:
                return
            number += 1

    def list_all(self, path: str, params: dict | None = None, per_page: int = MAX_PER_PAGE) -> list:
        return [item for page in self.iter_pages(path, params, per_page) for item in page.items]

    # -- files -------------------------------------------------------------------------------------------
    def download_attachment(self, attachment: dict, max_bytes: int = 10 * 1024 * 1024) -> Download:
        """The bytes of an attachment Procore listed ({filename, content_type, url}). Its url is a signed
        storage link: fetched without our token (it must never reach the storage host) and refused beyond
        `max_bytes` (Xero takes files up to 10 MB)."""
        url, name = attachment.get("url"), attachment.get("filename") or attachment.get("name") or "attachment"
        if not url:
            raise ProcoreError(None, f"{name}: Procore gave no link to download it")
        try:
            with self.session.get(url, timeout=self.timeout, stream=True, proxies=_proxies(url)) as response:
                if response.status_code >= 400:
                    raise ProcoreError(response.status_code, f"{name}: the download link was refused; "
                                       "it may have expired (read the invoice again for a new one)")
                content = b""
                for chunk in response.iter_content(64 * 1024):
                    content += chunk
                    if len(content) > max_bytes:
                        raise ProcoreValidationError(413, f"{name} is larger than {max_bytes // (1024 * 1024)} MB")
                kind = attachment.get("content_type") or response.headers.get("Content-Type", "")
        except (requests.ConnectionError, requests.Timeout):
            raise ProcoreConnectionError(None, f"{name}: no answer from Procore's file storage") from None
        return Download(name, kind.split(";")[0].strip() or "application/octet-stream", content)

    # -- sync actions ------------------------------------------------------------------------------------
    def sync(
        self,
        path: str,
        updates: list[dict],
        extra_body: dict | None = None,
        params: dict | None = None,
        chunk_size: int = SYNC_MAX,
    ) -> SyncResult:
        """PATCH …/sync in chunks of ≤ 1000 with per-item results.

        Procore also refuses a body by its size (413): such a chunk is halved and each half sent, down to one
        item; one item too large on its own is reported as that item's error, never sent again. Safe to repeat
        (and so retried on a lost answer) when every item carries an id or an origin_id.
        """
        chunk_size = max(1, min(chunk_size, SYNC_MAX))
        result = SyncResult([], [])
        repeatable = all(u.get("id") is not None or u.get("origin_id") for u in updates)
        todo = [updates[start : start + chunk_size] for start in range(0, len(updates), chunk_size)]
        todo.reverse()
        while todo:
            chunk = todo.pop()
            body = {**(extra_body or {}), "updates": chunk}
            try:
                answer = self.request("PATCH", path, params=params, json=body, idempotent=repeatable).json()
            except ProcoreError as exc:
                if exc.status != 413:
                    raise
                if len(chunk) == 1:
                    result.errors.append({**chunk[0], "errors": {"base": [TOO_LARGE]}})
                    continue
                middle = len(chunk) // 2
                todo += [chunk[middle:], chunk[:middle]]  # the first half goes next, keeping the order
                log.info("procore %s: 413 for %s items, sending halves", path, len(chunk))
                continue
            result.entities += answer.get("entities") or []
            result.errors += answer.get("errors") or []
        return result


def _int_header(response: requests.Response, name: str) -> int | None:
    value = response.headers.get(name, "")
    return int(value) if value.isdigit() else None


def _proxies(url: str) -> dict:
    parts = urlsplit(url)
    return _host_proxies(f"{parts.scheme}://{parts.netloc}")


@lru_cache(maxsize=64)
def _host_proxies(origin: str) -> dict:
    """The proxies the environment gives this host (HTTPS_PROXY, NO_PROXY…), as requests would read them."""
    return requests.utils.get_environ_proxies(origin)


def _never_sent(exc: Exception) -> bool:
    """Connect errors mean the request never left: safe to report as a plain connection error."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.ConnectTimeout) or isinstance(reason, NewConnectionError)


def _json(response: requests.Response):
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise ProcoreError(response.status_code, "answer was not JSON") from None


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value:
        try:
            return float(value)
        except ValueError:
            pass
    reset = response.headers.get("X-Rate-Limit-Reset")
    if reset:
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            pass
    return None
