"""Xero's field lengths, checked before anything is sent: `maxLength` in specs/xero/xero_accounting.yaml,
50 for tracking option names (Xero's tracking categories page; the spec says 100) and 255 for numbers and
references the spec leaves open. A name a person reads in Xero may be shortened, visibly (an ellipsis, and
the record says so); a value that identifies something (a code, a number, a tax number, an e-mail) is never
cut: the record is refused with the reason, in words."""

from __future__ import annotations

ITEM_CODE, ITEM_NAME, OPTION_NAME, DESCRIPTION, NUMBER = 30, 50, 50, 4000, 255

# Contact fields: (what a person calls it, Xero's limit)
CONTACT = {"Name": ("company name", 255), "EmailAddress": ("e-mail address", 255),
           "TaxNumber": ("tax number", 50), "ContactNumber": ("contact number", 50)}
ADDRESS = {"AddressLine1": ("street address", 500), "City": ("city", 255), "Region": ("state or province", 255),
           "PostalCode": ("postal code", 50), "Country": ("country", 50)}


def shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def shortened_words(what: str, text: str, limit: int) -> str:
    """What the record says when a name went to Xero shortened."""
    return (f"The {what} has {len(text)} characters, more than the {limit} Xero takes: it is shown in Xero as "
            f"“{shortened(text, limit)}”.")


def too_long(fields: dict[str, tuple[str, int]], values: dict) -> list[str]:
    """Plain words for every value over its limit."""
    return [f"the {what} has {len(values[key])} characters (Xero takes at most {limit})"
            for key, (what, limit) in fields.items() if isinstance(values.get(key), str) and len(values[key]) > limit]


def contact_too_long(payload: dict) -> tuple[str, str] | None:
    """Why a contact cannot be written as it is, or None."""
    problems = too_long(CONTACT, payload)
    for address in payload.get("Addresses") or []:
        problems += too_long(ADDRESS, address)
    if not problems:
        return None
    text = "; ".join(problems)
    return (f"Not sent to Xero: {text[0].upper()}{text[1:]}.",
            "Shorten it in the Procore company's directory entry, then sync again.")
