"""Xero bill payments on bills we exported → Procore commitment payments issued.

Procore's Xero connector rules (reference procore-api §12): US organisations only; only payments dated on
or after payment sync was switched on; full and partial payments; a payment deleted (reversed) in Xero
leaves Procore too; synced payments are read-only in Procore (they carry origin_id = the Xero PaymentID).

`/Payments` with PaymentType=="ACCPAYPAYMENT" is read with If-Modified-Since (batch payments show up
there one by one). A payment is written once: the intent is stored on the link before the POST; a lost
answer or a retry looks the payment up on the commitment by origin_id before it creates anything, and
Procore itself refuses a second payment with the same origin_id.

Money guards: a payment is never recorded when Procore already shows one for the same invoice with the
same date and amount (entered by hand, say), nor when it would take the invoice's payments over its amount;
it is refused with the reason and waits for a change in Xero or a person's re-send.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from connector.models import Kind, Link, SyncRecord
from connector.services.records import (
    fingerprint,
    record_bind,
    record_fail,
    record_new,
    record_transition,
    record_update,
)
from procore_client.errors import ProcoreError, ProcoreNotFound, ProcoreValidationError

from ..cursors import cursor_get, cursor_set
from ..explain import explain_exception
from ..money import cents, dec
from ..runs import run_log, run_progress
from .invoices import target_from_url

KIND = Kind.PAYMENT
State, Action = Link.State, SyncRecord.Action
SOURCE = "payments"
WHERE = 'PaymentType=="ACCPAYPAYMENT"'
# What the import reads of a payment (payment_snapshot and the cursor): models of these only, not of the whole
# bill and contact each payment carries.
PAYMENT_FIELDS = {"PaymentID": True, "Date": True, "Amount": True, "Reference": True, "Status": True,
                  "UpdatedDateUTC": True, "Invoice": {"InvoiceID": True, "InvoiceNumber": True},
                  "Account": {"AccountID": True}}


# -- mapper (pure) ---------------------------------------------------------------------------------
def payment_snapshot(payment) -> dict:
    invoice = payment.invoice
    when = payment.date.date() if isinstance(payment.date, datetime) else payment.date
    return {"id": str(payment.payment_id), "date": when.isoformat() if when else None,
            "amount": str(cents(payment.amount)), "reference": (payment.reference or "").strip(),
            "status": getattr(payment.status, "value", payment.status) or "",
            "invoice_id": str(invoice.invoice_id), "bill_number": getattr(invoice, "invoice_number", "") or "",
            "account_id": str(getattr(payment.account, "account_id", "") or "")}


def contract_payment(p: dict, target: dict, *, credit_card: bool) -> dict:
    attrs = {"origin_id": p["id"], "date": p["date"], "amount": p["amount"],
             "payment_method": "credit_card" if credit_card else "check",
             "invoice_number": p["bill_number"], "requisition_id": target["requisition_id"],
             "notes": f"Bill payment in Xero{': ' + p['reference'] if p['reference'] else ''}"}
    if p["reference"] and not credit_card:
        attrs["check_number"] = p["reference"][:255]
    return attrs


def payment_label(p: dict) -> str:
    return f"{p['amount']} on bill {p['bill_number'] or p['invoice_id'][:8]} ({p['date']})"


# -- the run ---------------------------------------------------------------------------------------
def run(ctx) -> None:
    connection, settings = ctx.connection, ctx.settings
    if not connection.bill_payments_supported:
        run_log(ctx.run, Action.SKIPPED, label="Bill payments",
                message=f"Bill payments are synced for US Xero organisations only (the rule of Procore's Xero "
                        f"connector); {connection.xero_organisation_name or 'this organisation'} is in "
                        f"{connection.xero_country or 'another country'}.",
                hint="Record payments of these bills in Procore by hand.")
        return
    if settings.payments_enabled_at is None:
        run_log(ctx.run, Action.SKIPPED, label="Bill payments",
                message="Payment sync is switched off, so no bill payment is read.",
                hint="Choose a schedule for payments in the connection settings; payments dated from then on sync.")
        return
    importer = _Importer(ctx, settings.payments_enabled_at.date())
    since = cursor_get(connection, KIND, SOURCE)
    for page in ctx.xero.iter_pages("payments", if_modified_since=since, where=WHERE, order="UpdatedDateUTC ASC",
                                    only=PAYMENT_FIELDS):
        run_progress(ctx.run, len(page.records))
        importer.follow_page(page.records)
        changed = [_utc(p.updated_date_utc) for p in page.records if p.updated_date_utc]
        if changed and not ctx.dry_run:
            cursor_set(connection, KIND, SOURCE, max(changed))
    importer.retry_waiting()
    if importer.too_early:
        run_log(ctx.run, Action.SKIPPED, label="Bill payments",
                message=f"{importer.too_early} payment(s) dated before payment sync was switched on "
                        f"({settings.payments_enabled_at:%Y-%m-%d}) were left out, as in Procore.")


def payment_problem(p: dict, invoice_amount, recorded: list[dict]) -> tuple[str, str] | None:
    """Why Procore must not get this payment: one like it is already there, or the invoice would be overpaid.
    `recorded`: the payments Procore shows for the same invoice (not ours)."""
    for row in recorded:
        same_reference = not (p["reference"] and row.get("check_number")) or p["reference"] == row.get("check_number")
        if row.get("date") == p["date"] and cents(row.get("amount")) == cents(p["amount"]) and same_reference:
            return (f"Procore already shows a payment of {cents(row.get('amount'))} on {p['date']} for invoice "
                    f"{p['bill_number'] or row.get('invoice_number') or ''} that this connector did not make; "
                    "recording the Xero payment too would count it twice.",
                    "If it is the same payment, delete the one entered by hand in Procore, then re-send this one "
                    "(it is then kept in step with Xero). If they are two payments, check the invoice.")
    if invoice_amount is not None:
        paid = sum((cents(row.get("amount")) for row in recorded), dec(0))
        if paid + cents(p["amount"]) > cents(invoice_amount):
            return (f"Procore already shows {cents(paid)} paid on invoice {p['bill_number']} of "
                    f"{cents(invoice_amount)}; this payment of {cents(p['amount'])} would take it over, to "
                    f"{cents(paid + cents(p['amount']))}.",
                    "Look for a payment entered by hand in Procore or a duplicate payment in Xero; correct it, "
                    "then re-send this record.")
    return None


class _Importer:
    def __init__(self, ctx, since: date):
        self.ctx, self.since = ctx, since
        self.bills = {link.xero_id: link for link in Link.objects.filter(connection=ctx.connection,
                                                                          kind=Kind.INVOICE).exclude(xero_id="")}
        self.targets: dict[str, dict | None] = {}
        self.touched: set[int] = set()
        self.too_early = 0
        self._credit_cards: set[str] | None = None
        self._recorded: dict[tuple[int, int], list[dict]] = {}  # (project, commitment) → Procore's payments

    def follow_page(self, records: list) -> None:
        ours = [payment_snapshot(p) for p in records if p.invoice and str(p.invoice.invoice_id) in self.bills]
        self._resolve({p["invoice_id"] for p in ours})
        for p in ours:
            self.follow(p)

    def retry_waiting(self) -> None:
        """Payments whose write was cut off are retried from their stored copy; refused ones when their copy
        differs from what was refused (a person's re-send clears that)."""
        waiting = Link.objects.filter(connection=self.ctx.connection, kind=KIND,
                                      state__in=[State.EXPORTING, State.FAILED, State.READY]) \
            .exclude(pk__in=self.touched)
        for link in waiting:
            p = link.xero_snapshot
            if not p:
                continue
            if not link.engine_data.get("target") and p["invoice_id"] in self.bills:
                self._resolve({p["invoice_id"]})  # the bill may carry its way back to Procore by now
            self.follow(p, link=link)

    # -- one payment -----------------------------------------------------------------------------------
    def follow(self, p: dict, link: Link | None = None) -> None:
        link = link or Link.objects.filter(connection=self.ctx.connection, kind=KIND, xero_id=p["id"]).first()
        if link is not None:
            self.touched.add(link.pk)
        if p["status"] == "DELETED":
            if link is not None and link.state != State.ARCHIVED:
                self._reverse(link, p)
            return
        if link is not None and link.state in (State.SYNCED, State.ARCHIVED, State.REJECTED):
            return
        if link is not None and link.state == State.FAILED and link.refused_fingerprint == fingerprint(p):
            return  # refused as it is: a change in Xero or a person's re-send tries again
        if not p["date"] or date.fromisoformat(p["date"]) < self.since:
            self.too_early += 1
            return
        target = (link.engine_data.get("target") if link else None) or self.targets.get(p["invoice_id"])
        if target is None:
            self._unplaceable(link, p)
            return
        if self.ctx.dry_run:
            run_log(self.ctx.run, Action.CREATED, label=payment_label(p), xero_id=p["id"],
                    message="Would be recorded as a payment issued in Procore (preview).")
            return
        if link is None:
            link = record_new(self.ctx.connection, KIND, xero_id=p["id"], label=payment_label(p),
                              state=State.READY)[0]
            self.touched.add(link.pk)
        self._issue(link, p, target)

    def _issue(self, link: Link, p: dict, target: dict) -> None:
        ctx = self.ctx
        try:
            recorded = self._recorded_for(target)
        except ProcoreError as exc:
            return self._log_error(link, exc)
        found = next((row for row in recorded if row.get("origin_id") == p["id"]), None)
        if found:  # an earlier attempt reached Procore (its answer was lost): bind, never create again
            return self._bind(link, found, Action.LINKED, "Found in Procore after an interrupted write; linked.")
        bill = self.bills.get(p["invoice_id"])
        others = [row for row in recorded if not row.get("origin_id") and _same_invoice(row, target, p)]
        problem = payment_problem(p, bill.remote_total if bill and bill.remote_total is not None
                                  else getattr(bill, "amount", None), others)
        fields = {"xero_snapshot": p, "engine_data": {**link.engine_data, "target": target},
                  "project_id": str(target["project_id"]), "parent_id": str(target["contract_id"]),
                  "amount": cents(p["amount"]), "document_number": p["bill_number"],
                  "document_date": date.fromisoformat(p["date"]), "vendor_name": getattr(bill, "vendor_name", "")}
        record_update(link, **fields)
        if problem:
            if link.state != State.FAILED or link.last_error != problem[0]:
                record_fail(link, message=problem[0], hint=problem[1], refused=fingerprint(p), leaving=[link.state])
            run_log(ctx.run, Action.FAILED, link=link, message=problem[0], hint=problem[1])
            return None
        # The intent, committed, before the POST: a lost answer is looked up next time, never re-created blindly.
        if not record_transition(link, State.EXPORTING, leaving=[link.state]):
            return None
        attrs = contract_payment(p, target, credit_card=p["account_id"] in self._credit_card_accounts())
        try:
            created = ctx.procore.create_contract_payment(target["project_id"], target["contract_id"], attrs)
        except ProcoreValidationError as exc:
            if "origin_id" in (exc.fields or {}):  # Procore already has it: the answer was lost
                found = self._find(target, p["id"])
                if found:
                    return self._bind(link, found, Action.LINKED, "Already in Procore; linked, not created again.")
            message = f"Procore refused the payment: {exc.message}"
            hint = "Check the commitment of this bill in Procore (it must exist and be open), then retry."
            record_fail(link, message=message, hint=hint, refused=fingerprint(p), leaving=[State.EXPORTING])
            run_log(ctx.run, Action.FAILED, link=link, message=message, hint=hint)
            return None
        except ProcoreError as exc:
            try:
                found = self._find(target, p["id"])
            except ProcoreError:
                found = None
            if found:
                return self._bind(link, found, Action.CREATED, self._issued_words(p))
            return self._log_error(link, exc)
        recorded.append(created)
        return self._bind(link, created, Action.CREATED, self._issued_words(p))

    def _reverse(self, link: Link, p: dict) -> None:
        ctx, target = self.ctx, link.engine_data.get("target") or {}
        if ctx.dry_run:
            run_log(ctx.run, Action.DELETED, link=link, message="Reversed in Xero: would be removed (preview).")
            return
        record_update(link, xero_snapshot=p)  # a refused or cut-off removal is retried from this copy
        if link.procore_id and target:
            try:
                ctx.procore.delete(f"/rest/v1.0/contract_payments/{link.procore_id}",
                                   params={"project_id": target["project_id"], "contract_id": target["contract_id"]})
            except ProcoreNotFound:
                pass  # already gone (an earlier answer was lost, or removed by hand)
            except ProcoreValidationError as exc:
                message = (f"The payment of {p['amount']} on bill {p['bill_number']} was deleted (reversed) in Xero, "
                           f"but Procore refused to remove its payment issued: {exc.message}")
                hint = ("Procore keeps payments synced from an ERP read-only. Unlink it in Procore's ERP tool and "
                        "delete it, or ask Procore support; then mark it done here by retrying.")
                if link.last_error != message:
                    record_fail(link, message=message, hint=hint, leaving=[link.state])
                run_log(ctx.run, Action.FAILED, link=link, message=message, hint=hint)
                return
            except ProcoreError as exc:
                text, hint = explain_exception(exc)
                record_fail(link, message=f"Reversed in Xero, but removing the Procore payment failed: {text}",
                            hint=hint, leaving=[link.state])  # failed links are retried from their stored copy
                run_log(ctx.run, Action.FAILED, link=link, message=link.last_error, hint=hint)
                return
            record_transition(link, State.ARCHIVED, leaving=[link.state], last_error="", hint="")
            run_log(ctx.run, Action.DELETED, link=link, message="Reversed in Xero: the Procore payment was removed.")
            return
        record_transition(link, State.ARCHIVED, leaving=[link.state], last_error="", hint="")
        run_log(ctx.run, Action.SKIPPED, link=link, message="Reversed in Xero before it reached Procore.")

    # -- helpers -----------------------------------------------------------------------------------------
    def _bind(self, link: Link, payment: dict, action: str, message: str) -> None:
        if record_bind(link, procore_id=str(payment["id"]), reference=link.xero_id,
                       leaving=[State.EXPORTING, State.READY, State.FAILED]):
            run_log(self.ctx.run, action, link=link, procore_id=payment["id"], message=message)

    def _issued_words(self, p: dict) -> str:
        return f"Payment issued in Procore: {p['amount']} on {p['date']}."

    def _log_error(self, link: Link, exc: Exception) -> None:
        text, hint = explain_exception(exc)
        run_log(self.ctx.run, Action.FAILED, link=link, message=text, hint=hint)

    def _recorded_for(self, target: dict) -> list[dict]:
        """The payments Procore shows on the bill's commitment: read once a run per commitment (every payment
        of this run is checked against them and those it adds)."""
        key = (target["project_id"], target["contract_id"])
        if key not in self._recorded:
            self._recorded[key] = list(self.ctx.procore.contract_payments(*key))
        return self._recorded[key]

    def _find(self, target: dict, payment_id: str) -> dict | None:
        payments = self.ctx.procore.contract_payments(target["project_id"], target["contract_id"])
        return next((row for row in payments if row.get("origin_id") == payment_id), None)

    def _unplaceable(self, link: Link | None, p: dict) -> None:
        message = (f"The payment of {p['amount']} on bill {p['bill_number']} cannot be placed: the bill does not "
                   "say which Procore commitment and invoice it came from.")
        hint = "Re-send the subcontractor invoice from Procore so its bill carries the link back, then retry."
        if link is None and not self.ctx.dry_run:
            link = record_new(self.ctx.connection, KIND, xero_id=p["id"], label=payment_label(p),
                              state=State.READY, xero_snapshot=p)[0]
        if link is not None and not self.ctx.dry_run and link.last_error != message:
            record_update(link, xero_snapshot=p)
            record_fail(link, message=message, hint=hint, leaving=[link.state])
        run_log(self.ctx.run, Action.FAILED, link=link, label=payment_label(p), message=message, hint=hint)

    def _resolve(self, invoice_ids: set[str]) -> None:
        """Which commitment and subcontractor invoice each bill belongs to: the invoice link when it carries
        them, else the Procore URL the invoice export put on the bill."""
        unknown = []
        for invoice_id in invoice_ids - set(self.targets):
            link = self.bills[invoice_id]
            if link.project_id and link.parent_id:
                self.targets[invoice_id] = {"project_id": int(link.project_id), "contract_id": int(link.parent_id),
                                            "requisition_id": int(link.procore_id)}
            else:
                unknown.append(invoice_id)
        for start in range(0, len(unknown), 50):
            for bill in self.ctx.xero.invoices_by_ids(unknown[start:start + 50]):
                target = target_from_url(bill.url)
                link = self.bills.get(str(bill.invoice_id))
                if target and link is not None and str(target["requisition_id"]) == link.procore_id:
                    self.targets[str(bill.invoice_id)] = target
        for invoice_id in unknown:
            self.targets.setdefault(invoice_id, None)

    def _credit_card_accounts(self) -> set[str]:
        """Procore knows check and credit card payments; a payment from a Xero credit card account is the latter."""
        if self._credit_cards is None:
            accounts = self.ctx.xero.accounts(where='Type=="BANK"')
            self._credit_cards = {str(a.account_id) for a in accounts
                                  if str(getattr(a.bank_account_type, "value", a.bank_account_type)) == "CREDITCARD"}
        return self._credit_cards


def _same_invoice(row: dict, target: dict, p: dict) -> bool:
    """A Procore payment recorded against the same subcontractor invoice (by id, else by its number)."""
    if row.get("requisition_id") is not None:
        return str(row["requisition_id"]) == str(target["requisition_id"])
    return bool(p["bill_number"]) and row.get("invoice_number") == p["bill_number"]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
