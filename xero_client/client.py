"""XeroClient: the accounting calls the connector makes, on one xero-python ApiClient per instance.

Never share an instance across threads (the SDK mutates per-call state). Every call:
`pacer.before_request()` → SDK call with a (connect, read) timeout → rate-limit headers handed to
`pacer.after_response(headers)` → SDK exceptions mapped to `xero_client.errors`. A 401 (or a token that
expired locally) calls `on_unauthorized(reason)` once — the connection layer refreshes under its lock —
and retries once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

from xero_python.accounting import AccountingApi
from xero_python.exceptions import AccessTokenExpiredError
from xero_python.identity import IdentityApi

from . import sdk
from .errors import (
    ElementResult,
    XeroAuthError,
    XeroError,
    XeroRateLimited,
    XeroValidationError,
    from_sdk,
    from_xero,
)

MAX_BATCH = 50
UNITDP_KINDS = {"items", "invoices", "credit_notes", "bank_transactions"}
MAX_PAGE_SIZE = 1000

# kind → (SDK write method, envelope model, envelope attribute, element model, id attribute)
WRITES = {
    "items": ("update_or_create_items", "Items", "items", "Item", "item_id"),
    "contacts": ("update_or_create_contacts", "Contacts", "contacts", "Contact", "contact_id"),
    "purchase_orders": (
        "update_or_create_purchase_orders",
        "PurchaseOrders",
        "purchase_orders",
        "PurchaseOrder",
        "purchase_order_id",
    ),
    "invoices": ("update_or_create_invoices", "Invoices", "invoices", "Invoice", "invoice_id"),
    "credit_notes": ("update_or_create_credit_notes", "CreditNotes", "credit_notes", "CreditNote", "credit_note_id"),
    "payments": ("create_payments", "Payments", "payments", "Payment", "payment_id"),
    "batch_payments": (
        "create_batch_payment",
        "BatchPayments",
        "batch_payments",
        "BatchPayment",
        "batch_payment_id",
    ),
    "bank_transactions": (
        "update_or_create_bank_transactions",
        "BankTransactions",
        "bank_transactions",
        "BankTransaction",
        "bank_transaction_id",
    ),
    "manual_journals": (
        "update_or_create_manual_journals",
        "ManualJournals",
        "manual_journals",
        "ManualJournal",
        "manual_journal_id",
    ),
}
# kind → (SDK read method, envelope attribute)
PAGED = {
    "contacts": ("get_contacts", "contacts"),
    "credit_notes": ("get_credit_notes", "credit_notes"),
    "purchase_orders": ("get_purchase_orders", "purchase_orders"),
    "invoices": ("get_invoices", "invoices"),
    "payments": ("get_payments", "payments"),
    "bank_transactions": ("get_bank_transactions", "bank_transactions"),
    "manual_journals": ("get_manual_journals", "manual_journals"),
}


# kind → (JSON envelope, element model): lists a caller may read lean, as models of only the fields it names.
LEAN = {"payments": ("Payments", "Payment"), "invoices": ("Invoices", "Invoice"),
        "bank_transactions": ("BankTransactions", "BankTransaction"),
        "manual_journals": ("ManualJournals", "ManualJournal")}


def _only(record: dict, fields: dict) -> dict:
    """The named fields of a Xero JSON record; `fields`: name → True, or the fields wanted of a nested record
    (or of each record of a nested list: a bill's lines, a line's tracking)."""
    out = {}
    for name, wanted in fields.items():
        if name in record:
            value = record[name]
            if isinstance(wanted, dict) and isinstance(value, dict):
                value = _only(value, wanted)
            elif isinstance(wanted, dict) and isinstance(value, list):
                value = [_only(v, wanted) if isinstance(v, dict) else v for v in value]
            out[name] = value
    return out


def _names(fields: dict) -> set[str]:
    """Every field name `fields` wants, at any depth."""
    return set(fields).union(*(_names(v) for v in fields.values() if isinstance(v, dict)))


@dataclass
class Page:
    number: int
    records: list
    pagination: object = None

    @property
    def is_last(self) -> bool:
        """`pagination.pageCount` says how many pages there are; without it, only an empty page ends the
        list. A short page never does: Xero does not promise every endpoint serves the pageSize asked."""
        count = getattr(self.pagination, "page_count", None) if self.pagination is not None else None
        return self.number >= count if isinstance(count, int) else not self.records


@dataclass(frozen=True)
class LockDates:
    """Ledger lock dates of the organisation (Organisation.PeriodLockDate / EndOfYearLockDate): nothing can
    be approved, paid or allocated on or before them."""

    period: date | None
    end_of_year: date | None

    def closed_until(self) -> date | None:
        """The last locked day (the later of the two), or None when the books are open."""
        days = [d for d in (self.period, self.end_of_year) if d is not None]
        return max(days) if days else None


class XeroClient:
    def __init__(
        self,
        api_url: str,
        tenant_id: str,
        access_token: Callable[[], object],
        on_unauthorized: Callable[[str], object] | None = None,
        client_id: str = "",
        client_secret: str = "",
        pacer=None,
        timeout: tuple[int, int] = (5, 60),
    ) -> None:
        self.tenant_id = tenant_id
        self.on_unauthorized, self.pacer = on_unauthorized, pacer
        self.timeout = tuple(int(t) for t in timeout)  # the SDK silently ignores float timeouts (#11)
        self._api_client = sdk.build_api_client(client_id, client_secret, access_token)
        self.accounting = AccountingApi(self._api_client, base_url=f"{api_url.rstrip('/')}/api.xro/2.0")
        self.identity = IdentityApi(self._api_client, base_url=api_url.rstrip("/"))
        self.last_headers: dict = {}

    # -- the one place SDK calls happen --------------------------------------------------------
    def _call(self, method: str, *args, api=None, tenant: bool = True, **kwargs):
        fn = getattr(api or self.accounting, method)
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        raw = kwargs.get("_preload_content") is False  # the urllib3 answer itself, unparsed
        kwargs.update(_return_http_data_only=raw, _request_timeout=self.timeout)
        call_args = ((self.tenant_id,) if tenant else ()) + args
        refreshed, waits = False, 0
        while True:
            if self.pacer is not None:
                self.pacer.before_request()
            try:
                if raw:
                    data = fn(*call_args, **kwargs)
                    headers = dict(data.headers)
                else:
                    data, _status, headers = fn(*call_args, **kwargs)
            except AccessTokenExpiredError:
                error: XeroError = XeroAuthError("the access token expired before the call")
                self._after({})
            except ValueError as exc:  # e.g. an enum value newer than the SDK (#6)
                self._after({})
                raise XeroError(f"unreadable Xero response: {exc}") from None
            except Exception as exc:  # noqa: BLE001 - every SDK/urllib3 error is mapped here
                self._after(getattr(exc, "headers", None) or {})
                if not from_xero(exc):  # raised into the call from outside (the worker's time limit): not ours
                    raise
                error = from_sdk(exc)
            except BaseException:
                self._after({})
                raise
            else:
                self._after(headers)
                return data
            if isinstance(error, XeroAuthError) and not refreshed and self.on_unauthorized is not None:
                self.on_unauthorized(str(error))
                refreshed = True
                continue
            # A minute/concurrent 429: the pacer may wait Retry-After (shared by every worker) and retry;
            # without one, or past its patience, the caller decides.
            wait = getattr(self.pacer, "on_rate_limited", None)
            if isinstance(error, XeroRateLimited) and wait is not None and waits < 5 and wait(error.retry_after):
                waits += 1
                continue
            raise error

    def _after(self, headers) -> None:
        self.last_headers = dict(headers or {})
        if self.pacer is not None:
            self.pacer.after_response(self.last_headers)

    # -- settings ------------------------------------------------------------------------------
    def organisation(self):
        """The organisation (an SDK model). A plan or edition newer than the SDK's enums is kept as Xero
        wrote it instead of failing the call (the SDK refuses values it does not know)."""
        try:
            return self._call("get_organisations").organisations[0]
        except XeroError as exc:
            if "unreadable Xero response" not in str(exc):
                raise
        raw = self._call("get_organisations", _preload_content=False)
        body = json.loads(raw.data)
        return sdk.lenient_model("Organisation", body["Organisations"][0], self.accounting.get_model_finder())

    def lock_dates(self) -> LockDates:
        org = self.organisation()
        return LockDates(_day(getattr(org, "period_lock_date", None)), _day(getattr(org, "end_of_year_lock_date", None)))

    def accounts(self, where: str | None = None) -> list:
        return self._call("get_accounts", where=where).accounts or []

    def tax_rates(self, where: str | None = None) -> list:
        return self._call("get_tax_rates", where=where).tax_rates or []

    def items(self, where: str | None = None, if_modified_since: datetime | None = None) -> list:
        return self._call("get_items", where=where, if_modified_since=sdk.utc(if_modified_since)).items or []

    def connections(self) -> list:
        return self._call("get_connections", api=self.identity, tenant=False) or []

    # -- tracking ------------------------------------------------------------------------------
    def tracking_categories(self, include_archived: bool = True) -> list:
        return (
            self._call(
                "get_tracking_categories", include_archived=sdk.flag(include_archived)
            ).tracking_categories
            or []
        )

    def create_tracking_category(self, name: str, idempotency_key: str | None = None):
        from xero_python.accounting import TrackingCategory

        return self._call(
            "create_tracking_category", TrackingCategory(name=name), idempotency_key=idempotency_key
        ).tracking_categories[0]

    def create_tracking_option(self, category_id: str, name: str, idempotency_key: str | None = None):
        from xero_python.accounting import TrackingOption

        return self._call(
            "create_tracking_options", category_id, TrackingOption(name=name), idempotency_key=idempotency_key
        ).options[0]

    def update_tracking_option(
        self,
        category_id: str,
        option_id: str,
        name: str | None = None,
        status: str | None = None,
        idempotency_key: str | None = None,
    ):
        from xero_python.accounting import TrackingOption

        return self._call(
            "update_tracking_options",
            category_id,
            option_id,
            TrackingOption(name=name, status=status),
            idempotency_key=idempotency_key,
        ).options[0]

    def archive_tracking_option(self, category_id: str, option_id: str, idempotency_key: str | None = None):
        return self.update_tracking_option(
            category_id, option_id, status="ARCHIVED", idempotency_key=idempotency_key
        )

    # -- paged reads ---------------------------------------------------------------------------
    def iter_pages(
        self,
        kind: str,
        page_size: int = MAX_PAGE_SIZE,
        start_page: int = 1,
        if_modified_since: datetime | None = None,
        **filters,
    ) -> Iterator[Page]:
        """Yield page after page (callers advance their cursor per page). Filters use the SDK's names:
        where, order, statuses=[…], i_ds=[…], contact_i_ds=[…], include_archived=bool, status, …;
        `only={"Field": True, "Nested": {"Field": True}}` (kinds in LEAN): models of those fields only."""
        method, attr = PAGED[kind]
        only = filters.pop("only", None)
        params = {k: sdk.flag(v) if isinstance(v, bool) else v for k, v in filters.items()}
        page = start_page
        while True:
            data = self._call(
                method,
                page=page,
                page_size=min(page_size, MAX_PAGE_SIZE),
                if_modified_since=sdk.utc(if_modified_since),
                **params,
                **({"_preload_content": False} if only else {}),
            )
            if only:
                records, pagination = self._lean(kind, data, only)
            else:
                records, pagination = getattr(data, attr) or [], getattr(data, "pagination", None)
            box = [Page(page, records, pagination)]
            last = box[0].is_last
            data = records = None
            # Handed over, not kept: a suspended generator would otherwise hold this page's models while
            # the next one is read (a page of 1,000 bills is some 20 MB of SDK objects).
            yield box.pop()
            if last:
                return
            page += 1

    def _lean(self, kind: str, answer, only: dict) -> tuple[list, object]:
        """A page read raw through the SDK's api_client, then SDK models of only the fields named (the SDK
        parses them as it would the whole record: dates, enums, decimals): a payment's bill is a whole invoice
        with its contact, of which a payment import needs two fields."""
        envelope, model = LEAN[kind]
        # Every object is narrowed to the names wanted as it is parsed: the page is never whole in memory as
        # dicts (1,000 bills parse to some 15 MB), only the text and what is kept.
        keep = _names(only) | {envelope, "pagination", "pageCount"}
        try:
            body = json.loads(answer.data, parse_float=Decimal,  # as the SDK reads an answer
                              object_hook=lambda obj: {k: v for k, v in obj.items() if k in keep})
        except ValueError as exc:
            raise XeroError(f"unreadable Xero response: {exc}") from None
        finder = self.accounting.get_model_finder()
        records = [sdk.deserialize(model, _only(record, only), finder) for record in body.get(envelope) or []]
        count = (body.get("pagination") or {}).get("pageCount")
        return records, SimpleNamespace(page_count=count) if isinstance(count, int) else None

    def invoices_by_ids(self, ids: list[str]) -> list:
        return self._call("get_invoices", i_ds=list(ids)).invoices or [] if ids else []

    def purchase_order(self, purchase_order_id: str):
        return self._call("get_purchase_order", purchase_order_id).purchase_orders[0]

    def batch_payments(self, if_modified_since: datetime | None = None, where: str | None = None) -> list:
        return (
            self._call(
                "get_batch_payments", if_modified_since=sdk.utc(if_modified_since), where=where
            ).batch_payments
            or []
        )

    # -- writes --------------------------------------------------------------------------------
    def write_batch(self, kind: str, records: list, idempotency_key: str | None) -> list[ElementResult]:
        """Write ≤ 50 records with summarizeErrors=false; one ElementResult per record, in order."""
        if len(records) > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} records per Xero write, got {len(records)}")
        if not records:
            return []
        method, envelope_name, attr, model_name, id_attr = WRITES[kind]
        finder = self.accounting.get_model_finder()
        results: list[ElementResult | None] = [None] * len(records)
        models, sent = [], []
        for index, record in enumerate(records):
            try:  # the SDK's models check some limits (Item Code ≤ 30 …) before anything is sent
                models.append(sdk.to_model(record, model_name, finder))
                sent.append(index)
            except (ValueError, TypeError) as exc:
                results[index] = ElementResult(index, False, errors=[f"not sent: {exc}"])
        if models:
            envelope = finder.find_model(envelope_name)(**{attr: models})
            extra = (
                {"unitdp": 4} if kind in UNITDP_KINDS else {}
            )  # keep 4-dp unit amounts (else rounded to 2)
            data = self._call(
                method, envelope, summarize_errors="false", idempotency_key=idempotency_key, **extra
            )
            returned = getattr(data, attr) or []
            if len(returned) != len(models):
                raise XeroValidationError(f"Xero returned {len(returned)} results for {len(models)} {kind}")
            for index, element in zip(sent, returned):
                errors = [v.message for v in (element.validation_errors or []) if v.message]
                failed = bool(errors) or getattr(element, "status_attribute_string", None) == "ERROR"
                results[index] = ElementResult(
                    index, not failed, None if failed else getattr(element, id_attr), errors, element
                )
        return results

    def create_payment(
        self,
        invoice_id: str,
        account_code: str,
        amount,
        date=None,
        reference: str = "",
        idempotency_key: str | None = None,
    ):
        """One bill payment (tests and demos act as a Xero user with it)."""
        record = {
            "Invoice": {"InvoiceID": invoice_id},
            "Account": {"Code": account_code},
            "Amount": amount,
            "Reference": reference,
        }
        if date is not None:
            record["Date"] = date.isoformat()
        result = self.write_batch("payments", [record], idempotency_key)[0]
        if not result.ok:
            raise XeroValidationError("; ".join(result.errors), [result])
        return result.record

    # -- credit notes and files ------------------------------------------------------------------
    def allocate_credit_note(
        self, credit_note_id: str, invoice_id: str, amount, on: date, idempotency_key: str | None = None
    ):
        """Allocate `amount` of an approved credit note to an approved bill of the same contact; returns the
        allocation. Xero's refusal (over the remaining credit or the amount due, a locked date) raises
        XeroValidationError with Xero's words."""
        from xero_python.accounting import Allocation, Allocations, Invoice

        allocation = Allocation(invoice=Invoice(invoice_id=invoice_id), amount=sdk.quantise(amount), date=on)
        body = sdk.clear_read_only(Allocations(allocations=[allocation]))
        data = self._call("create_credit_note_allocation", credit_note_id, body,
                          summarize_errors="false", idempotency_key=idempotency_key)
        made = (data.allocations or [None])[0]
        errors = [v.message for v in (getattr(made, "validation_errors", None) or []) if v.message]
        if made is None or errors:
            raise XeroValidationError("; ".join(errors) or "Xero made no allocation",
                                      [ElementResult(0, False, errors=errors)])
        return made

    def upload_invoice_attachment(
        self, invoice_id: str, file_name: str, content: bytes, idempotency_key: str | None = None
    ):
        """Attach a file (e.g. the pay application PDF) to a bill; the same name again replaces it. Xero keeps
        at most 10 files of up to 10 MB per document; a refusal raises XeroValidationError."""
        try:
            data = self._call("create_invoice_attachment_by_file_name", invoice_id, file_name, content,
                              idempotency_key=idempotency_key)
        except XeroValidationError as exc:  # Xero's own words, not "A validation exception occurred"
            raise XeroValidationError("; ".join(exc.messages), exc.elements) from None
        return data.attachments[0]

    def invoice_attachments(self, invoice_id: str) -> list:
        return self._call("get_invoice_attachments", invoice_id).attachments or []

    def delete_payment(self, payment_id: str, idempotency_key: str | None = None):
        """Payments cannot be edited; deleting one reverses it on the bill."""
        from xero_python.accounting import PaymentDelete

        return self._call(
            "delete_payment", payment_id, PaymentDelete(status="DELETED"), idempotency_key=idempotency_key
        ).payments[0]


def _day(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None
