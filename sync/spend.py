"""Xero spend, read incrementally: bills, spend-money bank transactions and manual journals, with their
lines narrowed to the ones tracked to a project's option.

`/Journals` would give every ledger line in one feed but is gated to Xero's Advanced developer tier
(reference §0.3), so the three document listings are read instead, each with If-Modified-Since and
paging; Xero cannot filter by line tracking, so that happens here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal

from .money import cents, dec

# source → (client listing, SDK filters, id attribute, lines attribute, statuses that count as spend)
SOURCES: dict[str, tuple[str, dict, str, str, frozenset]] = {
    "bills": ("invoices", {"where": 'Type=="ACCPAY"', "statuses": ["AUTHORISED", "PAID", "VOIDED", "DELETED"]},
              "invoice_id", "line_items", frozenset({"AUTHORISED", "PAID"})),
    "spend_money": ("bank_transactions", {"where": 'Type=="SPEND"'}, "bank_transaction_id", "line_items",
                    frozenset({"AUTHORISED"})),
    "journals": ("manual_journals", {}, "manual_journal_id", "journal_lines", frozenset({"POSTED"})),
}
ORDER = "UpdatedDateUTC ASC"  # so the cursor can move to the last record of each page

# What `document_from` reads of each document, read lean (only these fields become SDK models): a page of
# 1,000 bills built whole is some 20 MB of models of which job costs use a dozen fields a line.
_LINE = {"LineItemID": True, "Tracking": {"TrackingOptionID": True}, "LineAmount": True, "TaxAmount": True,
         "ItemCode": True, "AccountCode": True, "Description": True}
_HEAD = {"Date": True, "Status": True, "UpdatedDateUTC": True, "LineAmountTypes": True}
_CONTACT = {"Contact": {"ContactID": True, "Name": True}}
FIELDS: dict[str, dict] = {
    "bills": {**_HEAD, **_CONTACT, "InvoiceID": True, "InvoiceNumber": True, "Url": True, "LineItems": _LINE},
    "spend_money": {**_HEAD, **_CONTACT, "BankTransactionID": True, "Reference": True, "LineItems": _LINE,
                    "Type": True, "BankAccount": {"AccountID": True}},  # the SDK's model refuses to be without them
    "journals": {**_HEAD, "ManualJournalID": True, "Narration": True, "JournalLines": _LINE},
}


@dataclass(frozen=True)
class SpendLine:
    key: str  # LineItemID, or the position for journal lines (they carry no id)
    options: tuple[str, ...]  # every tracking option on the line (at most one per category)
    item_code: str
    account_code: str
    description: str
    amount: Decimal  # the cost, net of tax, to the cent


@dataclass
class SpendDocument:
    source: str
    id: str
    number: str  # bill number / bank reference / journal narration: what an accountant searches for
    date: date | None
    status: str
    contact_id: str
    contact_name: str
    updated: datetime | None
    lines: list[SpendLine] = field(default_factory=list)  # only lines tracked to some option
    url: str = ""  # a bill's Url: ours name the Procore invoice they came from

    @property
    def is_spend(self) -> bool:
        return self.status in SOURCES[self.source][4]

    def lines_on(self, option_id: str) -> list[SpendLine]:
        return [line for line in self.lines if option_id in line.options]

    @property
    def title(self) -> str:
        what = {"bills": "Bill", "spend_money": "Spend money", "journals": "Manual journal"}[self.source]
        return f"{what} {self.number}".strip() if self.number else f"{what} {self.id[:8]}"

    def snapshot(self) -> dict:
        """What a retry needs when the document itself did not change (stored on the link)."""
        return {"source": self.source, "id": self.id, "number": self.number, "status": self.status,
                "date": self.date.isoformat() if self.date else None, "contact_id": self.contact_id,
                "contact_name": self.contact_name, "url": self.url,
                "lines": [{**line.__dict__, "options": list(line.options), "amount": str(line.amount)}
                          for line in self.lines]}

    @classmethod
    def from_snapshot(cls, data: dict) -> "SpendDocument":
        lines = [SpendLine(**{**line, "options": tuple(line["options"]), "amount": Decimal(line["amount"])})
                 for line in data.get("lines", [])]
        when = date.fromisoformat(data["date"]) if data.get("date") else None
        return cls(data["source"], data["id"], data.get("number", ""), when, data.get("status", ""),
                   data.get("contact_id", ""), data.get("contact_name", ""), None, lines, data.get("url", ""))


def spend_pages(xero, source: str, since: datetime | None) -> Iterator[list[SpendDocument]]:
    """Documents changed since `since`, page by page, oldest change first."""
    listing, filters, _, _, _ = SOURCES[source]
    for page in xero.iter_pages(listing, if_modified_since=since, order=ORDER, only=FIELDS[source], **filters):
        box = [[document_from(source, record) for record in page.records]]
        del page  # the SDK models go before the caller works on the page and the next one is read
        yield box.pop()  # handed over: this frame keeps no copy while the next page is deserialised


# -- mapper (pure) ---------------------------------------------------------------------------------
def document_from(source: str, record) -> SpendDocument:
    _, _, id_attr, lines_attr, _ = SOURCES[source]
    contact = getattr(record, "contact", None)
    if source == "bills":
        number = record.invoice_number or ""
    elif source == "spend_money":
        number = record.reference or ""
    else:
        number = record.narration or ""
    inclusive = _text(getattr(record, "line_amount_types", None)) == "Inclusive"
    lines = []
    for position, line in enumerate(getattr(record, lines_attr) or [], start=1):
        options = tuple(str(t.tracking_option_id) for t in (line.tracking or [])
                        if getattr(t, "tracking_option_id", None))
        if not options:
            continue
        amount = dec(line.line_amount)
        if inclusive:  # the job cost is what was spent before recoverable tax
            amount -= dec(line.tax_amount)
        lines.append(SpendLine(
            key=str(getattr(line, "line_item_id", None) or position), options=options,
            item_code=getattr(line, "item_code", None) or "", account_code=line.account_code or "",
            description=(line.description or "")[:255], amount=cents(amount)))
    return SpendDocument(
        source=source, id=str(getattr(record, id_attr)), number=number, date=_day(record.date),
        status=_text(record.status) or "", contact_id=str(getattr(contact, "contact_id", "") or ""),
        contact_name=getattr(contact, "name", "") or "", updated=_utc(record.updated_date_utc), lines=lines,
        url=getattr(record, "url", None) or "")


def _text(value) -> str:
    return getattr(value, "value", value) or ""


def _day(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
