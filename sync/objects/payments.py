"""Xero bill payments on bills we exported → Procore commitment payments issued.

Procore's Xero connector rules (reference procore-api §12): US organisations only; only payments dated on
or after payment sync was switched on; full and partial payments; a payment deleted (reversed) in Xero
leaves Procore too; synced payments are read-only in Procore (they carry origin_id = the Xero PaymentID).

`/Payments` with PaymentType=="ACCPAYPAYMENT" is read with If-Modified-Since (batch payments show up
there one by one). A payment is written once: the intent is stored on the link before the POST; a lost
answer or a retry looks the payment up on the commitment by origin_id before it creates anything, and
Procore itself refuses a second payment with the same origin_id.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

from connector.models import Kind, Link, SyncRecord
from procore_client.errors import ProcoreError, ProcoreNotFound, ProcoreValidationError

from ..cursors import cursor_get, cursor_set
from ..explain import explain_exception
from ..links import link_bind, link_fail, link_for_xero, link_set_state
from ..money import cents
from ..runs import run_log, run_progress

KIND = Kind.PAYMENT
State, Action = Link.State, SyncRecord.Action
SOURCE = "payments"
WHERE = 'PaymentType=="ACCPAYPAYMENT"'
# The bill's Url, as the invoice export writes it: …/{project}/project/commitments/{contract}/invoices/{requisition}
BILL_URL = re.compile(r"/(\d+)/project/commitments/(\d+)/invoices/(\d+)")


# -- mapper (pure) ---------------------------------------------------------------------------------
def payment_snapshot(payment) -> dict:
    invoice = payment.invoice
    when = payment.date.date() if isinstance(payment.date, datetime) else payment.date
    return {"id": str(payment.payment_id), "date": when.isoformat() if when else None,
            "amount": str(cents(payment.amount)), "reference": (payment.reference or "").strip(),
            "status": getattr(payment.status, "value", payment.status) or "",
            "invoice_id": str(invoice.invoice_id), "bill_number": getattr(invoice, "invoice_number", "") or "",
            "account_id": str(getattr(payment.account, "account_id", "") or "")}


def target_from_url(url: str | None) -> dict | None:
    found = BILL_URL.search(url or "")
    if not found:
        return None
    project_id, contract_id, requisition_id = map(int, found.groups())
    return {"project_id": project_id, "contract_id": contract_id, "requisition_id": requisition_id}


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
    for page in ctx.xero.iter_pages("payments", if_modified_since=since, where=WHERE, order="UpdatedDateUTC ASC"):
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


class _Importer:
    def __init__(self, ctx, since: date):
        self.ctx, self.since = ctx, since
        self.bills = {link.xero_id: link for link in Link.objects.filter(connection=ctx.connection,
                                                                          kind=Kind.INVOICE).exclude(xero_id="")}
        self.targets: dict[str, dict | None] = {}
        self.touched: set[int] = set()
        self.too_early = 0
        self._credit_cards: set[str] | None = None

    def follow_page(self, records: list) -> None:
        ours = [payment_snapshot(p) for p in records if p.invoice and str(p.invoice.invoice_id) in self.bills]
        self._resolve({p["invoice_id"] for p in ours})
        for p in ours:
            self.follow(p)

    def retry_waiting(self) -> None:
        """Payments whose write was cut off or refused are retried from their stored copy."""
        waiting = Link.objects.filter(connection=self.ctx.connection, kind=KIND,
                                      state__in=[State.EXPORTING, State.FAILED]).exclude(pk__in=self.touched)
        for link in waiting:
            p = link.data.get("payment")
            if not p:
                continue
            if not link.data.get("target") and p["invoice_id"] in self.bills:
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
        if link is not None and link.state == State.SYNCED:
            return
        if not p["date"] or date.fromisoformat(p["date"]) < self.since:
            self.too_early += 1
            return
        target = (link.data.get("target") if link else None) or self.targets.get(p["invoice_id"])
        if target is None:
            self._unplaceable(link, p)
            return
        if self.ctx.dry_run:
            run_log(self.ctx.run, Action.CREATED, label=payment_label(p), xero_id=p["id"],
                    message="Would be recorded as a payment issued in Procore (preview).")
            return
        if link is None:
            link = link_for_xero(self.ctx.connection, KIND, p["id"], label=payment_label(p))
            self.touched.add(link.pk)
        self._issue(link, p, target)

    def _issue(self, link: Link, p: dict, target: dict) -> None:
        ctx, unsure = self.ctx, link.state in (State.EXPORTING, State.FAILED)
        if unsure:  # an earlier attempt may have reached Procore: look before creating
            try:
                found = self._find(target, p["id"])
            except ProcoreError as exc:
                return self._log_error(link, exc)
            if found:
                return self._bind(link, found, Action.LINKED, "Found in Procore after an interrupted write; linked.")
        # The intent, committed, before the POST: a lost answer is looked up next time, never re-created blindly.
        link_set_state(link, State.EXPORTING, data={**link.data, "payment": p, "target": target})
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
            link_fail(link, message=message, hint=hint)
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
        return self._bind(link, created, Action.CREATED, self._issued_words(p))

    def _reverse(self, link: Link, p: dict) -> None:
        ctx, target = self.ctx, link.data.get("target") or {}
        if ctx.dry_run:
            run_log(ctx.run, Action.DELETED, link=link, message="Reversed in Xero: would be removed (preview).")
            return
        if link.procore_id and target:
            link.data = {**link.data, "payment": p}  # a refused or cut-off removal is retried from this copy
            link.save(update_fields=["data", "updated_at"])
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
                    link_fail(link, message=message, hint=hint)
                run_log(ctx.run, Action.FAILED, link=link, message=message, hint=hint)
                return
            except ProcoreError as exc:
                text, hint = explain_exception(exc)
                link_fail(link, message=f"Reversed in Xero, but removing the Procore payment failed: {text}",
                          hint=hint)  # failed links are retried from their stored copy
                run_log(ctx.run, Action.FAILED, link=link, message=link.last_error, hint=hint)
                return
            link_set_state(link, State.ARCHIVED, last_error="", hint="")
            run_log(ctx.run, Action.DELETED, link=link, message="Reversed in Xero: the Procore payment was removed.")
            return
        link_set_state(link, State.ARCHIVED, last_error="", hint="", data={**link.data, "payment": p})
        run_log(ctx.run, Action.SKIPPED, link=link, message="Reversed in Xero before it reached Procore.")

    # -- helpers -----------------------------------------------------------------------------------------
    def _bind(self, link: Link, payment: dict, action: str, message: str) -> None:
        link_bind(link, procore_id=str(payment["id"]), reference=link.xero_id)
        run_log(self.ctx.run, action, link=link, procore_id=payment["id"], message=message)

    def _issued_words(self, p: dict) -> str:
        return f"Payment issued in Procore: {p['amount']} on {p['date']}."

    def _log_error(self, link: Link, exc: Exception) -> None:
        text, hint = explain_exception(exc)
        run_log(self.ctx.run, Action.FAILED, link=link, message=text, hint=hint)

    def _find(self, target: dict, payment_id: str) -> dict | None:
        payments = self.ctx.procore.contract_payments(target["project_id"], target["contract_id"])
        return next((row for row in payments if row.get("origin_id") == payment_id), None)

    def _unplaceable(self, link: Link | None, p: dict) -> None:
        message = (f"The payment of {p['amount']} on bill {p['bill_number']} cannot be placed: the bill does not "
                   "say which Procore commitment and invoice it came from.")
        hint = "Re-send the subcontractor invoice from Procore so its bill carries the link back, then retry."
        if link is None and not self.ctx.dry_run:
            link = link_for_xero(self.ctx.connection, KIND, p["id"], label=payment_label(p))
            link.data = {**link.data, "payment": p}
            link.save(update_fields=["data", "updated_at"])
        if link is not None and not self.ctx.dry_run and link.last_error != message:
            link_fail(link, message=message, hint=hint)
        run_log(self.ctx.run, Action.FAILED, link=link, label=payment_label(p), message=message, hint=hint)

    def _resolve(self, invoice_ids: set[str]) -> None:
        """Which commitment and subcontractor invoice each bill belongs to: the invoice link's data when it
        carries them, else the Procore URL the invoice export put on the bill."""
        unknown = []
        for invoice_id in invoice_ids - set(self.targets):
            data = self.bills[invoice_id].data
            if data.get("project_id") and (data.get("commitment_id") or data.get("contract_id")):
                self.targets[invoice_id] = {"project_id": int(data["project_id"]),
                                            "contract_id": int(data.get("commitment_id") or data["contract_id"]),
                                            "requisition_id": int(self.bills[invoice_id].procore_id)}
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


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
