"""Standard cost code × cost type (line item type) → Xero Item.

Item Code = cost code + "." + cost type code (≤ 30 characters); Name = description (≤ 50, the full
text goes to the purchase description); purchased, not sold, not tracked as inventory.
"""

from __future__ import annotations

from connector.models import Kind, Link
from connector.services.records import record_fail, record_new, record_update, records_by_procore_id

from ..export import Candidate, export, resolve_in_flight
from ..limits import ITEM_CODE, ITEM_NAME, shortened, shortened_words
from ..runs import run_log, run_progress

KIND = Kind.COST_CODE
CODE_LIMIT, NAME_LIMIT = ITEM_CODE, ITEM_NAME


# -- mapper (pure) ---------------------------------------------------------------------------------
def item_code(cost_code: dict, cost_type: dict) -> str:
    return f"{cost_code.get('full_code') or cost_code['code']}.{cost_type['code']}"


def item_payload(cost_code: dict, cost_type: dict, *, account_code: str = "", tax_type: str = "") -> dict:
    description = f"{cost_code.get('name') or ''}".strip() or item_code(cost_code, cost_type)
    purchase = {"AccountCode": account_code} if account_code else {}
    if tax_type:
        purchase["TaxType"] = tax_type
    payload = {
        "Code": item_code(cost_code, cost_type),
        "Name": shortened(description, NAME_LIMIT),
        "PurchaseDescription": f"{description} ({cost_type['name']})",
        "IsPurchased": True,
        "IsSold": False,
    }
    if purchase:
        payload["PurchaseDetails"] = purchase
    return payload


def item_problem(payload: dict) -> tuple[str, str] | None:
    code = payload["Code"]
    if len(code) > CODE_LIMIT:
        return (f"The item code “{code}” has {len(code)} characters; Xero allows {CODE_LIMIT}.",
                "Shorten the cost code (or the cost type's code) in Procore's standard cost code list, "
                "then sync again.")
    return None


# -- exporter --------------------------------------------------------------------------------------
def run(ctx) -> None:
    resolve_in_flight(ctx, KIND, lambda links: _items_by_code(ctx.xero, links))
    procore, settings = ctx.procore, ctx.settings
    lists = procore.standard_cost_code_lists()
    erp_list = next((l for l in lists if l.get("is_erp_list")), lists[0] if lists else None)
    if erp_list is None:
        return
    codes = procore.standard_cost_codes(erp_list["id"], {"view": "extended"})
    types = procore.line_item_types()
    run_progress(ctx.run, len(codes) * len(types))
    known = records_by_procore_id(ctx.connection, KIND, [f"{c['id']}:{t['id']}" for c in codes for t in types])
    candidates = []
    for code in codes:
        for cost_type in types:
            payload = item_payload(code, cost_type, account_code=settings.purchase_account_code,
                                   tax_type=settings.tax_type)
            if ctx.record_id and str(code["id"]) != ctx.record_id:
                continue
            link = _link(ctx, known.get(f"{code['id']}:{cost_type['id']}"), f"{code['id']}:{cost_type['id']}",
                         payload["Code"])
            if link.state in (Link.State.ARCHIVED, Link.State.EXPORTING):
                continue
            problem = item_problem(payload)
            if problem:
                if link.state != Link.State.FAILED or link.last_error != problem[0]:
                    record_fail(link, message=problem[0], hint=problem[1])
                    run_log(ctx.run, "failed", link=link, message=problem[0], hint=problem[1])
                continue
            candidates.append(Candidate(link, payload, reference=payload["Code"], label=payload["Code"]))
    export(ctx.run, client=ctx.xero, kind="items", id_field="ItemID", candidates=candidates,
           dry_run=ctx.dry_run, on_written=lambda c, _item: _say_shortened(ctx, c))


def _say_shortened(ctx, candidate: Candidate) -> None:
    """An item name longer than Xero's 50 goes shortened (the whole text is its purchase description): said."""
    full = candidate.payload["PurchaseDescription"].rsplit(" (", 1)[0]
    if candidate.payload["Name"] != full:
        run_log(ctx.run, "skipped", link=candidate.link,
                message=shortened_words("cost code's name", full, NAME_LIMIT) + " The whole name is its purchase "
                                                                               "description.")


def _link(ctx, link: Link | None, procore_id: str, label: str) -> Link:
    """The item's link (fetched with the others), made the first time, renamed with its code."""
    if link is None and ctx.dry_run:  # a preview writes nothing but its log
        return Link(connection=ctx.connection, kind=KIND, procore_id=procore_id, label=label[:255])
    if link is None:
        return record_new(ctx.connection, KIND, procore_id=procore_id, label=label)[0]
    if ctx.dry_run:
        return link
    record_update(link, label=label[:255])
    return link


def _items_by_code(xero, links: list[Link]) -> dict[int, str]:
    """Interrupted creates: the item with the code we sent (the cost code may have been renamed since)."""
    by_code = {item.code: item.item_id for item in xero.items()}
    return {link.pk: by_code[link.reference] for link in links if link.reference in by_code}
