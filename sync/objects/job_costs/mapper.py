"""Job costs mapper (pure): a Xero spend document → a Procore direct cost and its lines."""

from __future__ import annotations

import sys

from connector.models import Link

from ...spend import SpendDocument, SpendLine

COST_TYPES = {"bills": "invoice", "spend_money": "expense", "journals": "expense"}


def line_key(line: SpendLine) -> str:
    """What the admin maps when a line has no usable Item code."""
    return line.item_code or f"account {line.account_code}"


def cost_origin(document_id: str, project_id) -> str:
    return f"{document_id}:{project_id}"


def direct_cost_header(doc: SpendDocument, project_id, vendor_id: int | None) -> dict:
    day = doc.date.isoformat() if doc.date else None
    header = {"origin_id": cost_origin(doc.id, project_id), "direct_cost_type": COST_TYPES[doc.source],
              "invoice_number": doc.number[:255] or doc.id[:8], "direct_cost_date": day, "received_date": day,
              "status": "approved", "description": f"{doc.title} (from Xero)"[:255]}
    if vendor_id:
        header["vendor_id"] = vendor_id
    return header


def direct_cost_lines(doc: SpendDocument, lines: list[tuple[SpendLine, tuple[int, int]]]) -> list[dict]:
    # The API takes JSON numbers; a 2-dp Decimal as a float prints back as the same digits (shortest repr).
    return [{"origin_id": f"{doc.id}:{line.key}", "cost_code_id": codes[0], "line_item_type_id": codes[1],
             "amount": float(line.amount), "quantity": 1, "unit_cost": float(line.amount),
             "description": line.description or doc.title}
            for line, codes in lines]


def map_lines(lines: list[SpendLine], codes, mapping: dict[str, str]) -> tuple[list, list]:
    """(line, (cost code id, cost type id)) for the lines a cost code covers — by their Item code, else by the
    project's mapping — and (position, line) for the others."""
    mapped, missing = [], []
    for n, line in enumerate(lines, start=1):
        code = line.item_code if line.item_code in codes else mapping.get(line_key(line))
        if code in codes:
            mapped.append((line, codes[code]))
        else:
            missing.append((n, line))
    return mapped, missing


def unmapped_message(doc: SpendDocument, project: Link, missing: list[tuple[int, SpendLine]]) -> tuple[str, str]:
    first = missing[0][1]
    which = ", ".join(f"line {n} (“{line.description or 'no description'}”, {line_key(line)}, "
                      f"{line.amount})" for n, line in missing)
    message = (f"{doc.title} has {len(missing)} line(s) coded to “{project.label}” without a cost code: {which}. "
               "Nothing of this document was imported yet.")
    hint = ("In Xero, set the line's item to the cost code and cost type (Item code like “01-100.L”); or select "
            "this record in Records, type the cost code and cost type (like “01-100.L”) and run “Job costs: map "
            f"unmapped lines”, which maps “{line_key(first)}” for this project. The next job cost sync imports it.")
    return message, hint


class ProjectCodes:
    """Item code ("01-100.L") → (cost code id, cost type id) for one project, without a key per pair: a
    project's codes times the cost types, kept for every project of a run, was most of a big day's memory."""

    def __init__(self, cost_codes: list[dict], types: list[dict]):
        self.types = {t["code"]: t["id"] for t in types}
        known = set(self.types.values())
        # full code → (its id, the cost types it allows, None for all); codes are shared between projects
        self.codes = {sys.intern(str(c.get("full_code") or c["code"])):
                      (c["id"], frozenset(c["line_item_type_ids"]) & known if c.get("line_item_type_ids") else None)
                      for c in cost_codes}

    def get(self, code: str) -> tuple[int, int] | None:
        for type_code, type_id in self.types.items():  # a handful; a full code may itself hold a dot
            if code.endswith(f".{type_code}"):
                found = self.codes.get(code[:-len(type_code) - 1])
                if found and (found[1] is None or type_id in found[1]):
                    return found[0], type_id
        return None

    def __contains__(self, code) -> bool:
        return isinstance(code, str) and self.get(code) is not None

    def __getitem__(self, code: str) -> tuple[int, int]:
        found = self.get(code)
        if found is None:
            raise KeyError(code)
        return found
