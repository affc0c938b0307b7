"""The subcontractor invoice's backup (its pay application PDF and any other file Procore lists on it) goes
onto its Xero bill through Xero's Attachments API, so the accountant sees it in Xero.

Attached once, right after the bill is made: the files to attach are kept on the link and sent at the end of
the run; one that cannot be attached now (an outage, the rate limit) is tried by the next run; one Procore or
Xero refuses (too large, a file type Xero does not take) is said once on the record. Xero keeps at most 10
files per document, each at most 10 MB (Xero's attachments page).

Each file is one Xero call, and a first sync of a large company has thousands: files are attached only while
more than `XERO_DAY_SHARE_KEPT_FROM_FILES` of the organisation's daily calls is left, so they never park the
syncs for the day; the others wait on their bills for the next days. A connection can switch backup off."""

from __future__ import annotations

from django.conf import settings

from connector.models import Link, SyncRecord
from connector.pacing import room_left, xero_budget
from connector.services.records import record_update
from procore_client.errors import ProcoreError, ProcoreValidationError
from xero_client.errors import XeroValidationError

from .explain import explain_exception
from .runs import run_log
from .stops import RUN_STOPS

KEY = "attach"
CHUNK = 200  # bills loaded at a time
MAX_FILES = 10
Action = SyncRecord.Action


def attach_keep(engine_data: dict, attachments: list[dict]) -> dict:
    files = [{k: a.get(k) for k in ("id", "filename", "content_type", "url")} for a in attachments or []
             if a.get("url")]
    return {**engine_data, KEY: files} if files else engine_data


def attach_pending(ctx, kind: str, fresh) -> None:
    """Every bill of `kind` with files still to attach; `fresh(link)` reads the record's files again (Procore's
    storage links expire)."""
    if ctx.dry_run or not ctx.settings.attach_invoice_backup:
        return  # switched off: files already waiting stay on their bills' records, for when it is on again
    waiting = list(Link.objects.filter(connection=ctx.connection, kind=kind, engine_data__has_key=KEY)
                   .exclude(xero_id="").order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(waiting), CHUNK):  # a first sync has thousands: memory holds CHUNK links
        chunk = Link.objects.filter(pk__in=waiting[start:start + CHUNK], engine_data__has_key=KEY).order_by("pk")
        for n, link in enumerate(chunk, start):
            if not _room_for_files(ctx):
                run_log(ctx.run, Action.SKIPPED, message=f"The files of {len(waiting) - n} bill(s) wait for a "
                        "later day: Xero's daily call limit is kept for syncing. Later runs attach them.")
                return
            _attach_all(ctx, link, fresh)


def _attach_all(ctx, link: Link, fresh) -> None:
    files = link.engine_data[KEY]
    done, left = [], list(files)
    for attachment in files[:MAX_FILES]:
        try:
            _attach(ctx, link, attachment, fresh)
        except (ProcoreValidationError, XeroValidationError) as exc:  # this file never goes: said once
            run_log(ctx.run, Action.FAILED, link=link, message=f"Could not attach “{attachment['filename']}” "
                    f"to the bill in Xero: {getattr(exc, 'message', None) or exc}.",
                    hint="Attach it in Xero by hand.")
        except RUN_STOPS:  # the budget, the time limit, our database: the run's business
            raise
        except Exception as exc:  # noqa: BLE001 - kept: the next run tries again
            message, hint = explain_exception(exc)
            run_log(ctx.run, Action.FAILED, link=link, hint=hint,
                    message=f"“{attachment['filename']}” is not attached to the bill in Xero yet: {message}")
            break
        else:
            run_log(ctx.run, Action.SKIPPED, link=link,  # a note: the bill's creation is the write counted
                    message=f"“{attachment['filename']}” attached to the bill in Xero.")
        done.append(attachment)
        left.remove(attachment)
    if len(files) > MAX_FILES and len(done) == MAX_FILES:
        run_log(ctx.run, Action.SKIPPED, link=link, hint="Attach the others in Xero by hand if needed.",
                message=f"Xero keeps {MAX_FILES} files per bill: {len(files) - MAX_FILES} were not attached.")
        left = []
    data = {k: v for k, v in link.engine_data.items() if k != KEY}
    record_update(link, engine_data={**data, KEY: left} if left else data)


def _room_for_files(ctx) -> bool:
    if not settings.RATE_BUDGETS_ENABLED:
        return True
    left, allowed = room_left(xero_budget(ctx.connection.xero_tenant_id))["day"]
    return left > allowed * settings.XERO_DAY_SHARE_KEPT_FROM_FILES


def _attach(ctx, link: Link, attachment: dict, fresh) -> None:
    try:
        file = ctx.procore.download_attachment(attachment)
    except ProcoreValidationError:
        raise
    except ProcoreError as exc:
        if exc.status not in (403, 404):
            raise
        again = next((a for a in fresh(link) if str(a.get("id")) == str(attachment.get("id"))), None)
        if again is None:
            raise ProcoreValidationError(404, "it is no longer on the invoice in Procore") from None
        file = ctx.procore.download_attachment(again)
    ctx.xero.upload_invoice_attachment(link.xero_id, file.filename, file.content,
                                       idempotency_key=f"attach-{link.pk}-{attachment.get('id')}")
