"""Suggested matches between unlinked Procore companies and Xero contacts (pure, no database).

Rules run strongest first; a rule pairs two records only when its key is unique among the records
still unmatched on both sides, so every record gets at most one suggestion and an ambiguous key
(two "Pioneer Excavation …" companies) suggests nothing rather than guessing. Inputs are sorted by
id, so the same records always give the same suggestions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable


@dataclass(frozen=True)
class Party:
    """What matching needs of one side's record."""

    id: str
    name: str
    email: str = ""
    tax_number: str = ""


@dataclass(frozen=True)
class Rule:
    code: str
    label: str  # said next to the suggestion


EXACT = Rule("exact_name", "same name (ignoring case)")
NORMALISED = Rule("normalised_name",
                  "same name once punctuation, “&”/“and” and Inc/LLC/Ltd/Co are evened out")
TAX = Rule("tax_number", "same tax number")
EMAIL = Rule("email", "same e-mail address")
RULES = (EXACT, NORMALISED, TAX, EMAIL)


@dataclass(frozen=True)
class Suggestion:
    procore: Party
    xero: Party
    rule: Rule


# Legal forms and their spellings → one canonical word; dropped entirely by `base_name`.
LEGAL_FORMS = {
    "inc": "inc", "incorporated": "inc",
    "llc": "llc",
    "ltd": "ltd", "limited": "ltd",
    "co": "co", "company": "co",
    "corp": "corp", "corporation": "corp",
    "plc": "plc", "lp": "lp", "llp": "llp", "pty": "pty",
}
_DOTTED = re.compile(r"\b((?:[a-z]\.){2,})")  # L.L.C. → llc, L.P. → lp


def exact_name(name: str) -> str:
    return " ".join((name or "").split()).casefold()


def normalised_name(name: str) -> str:
    """'Acme Concrete, Inc.' and 'ACME CONCRETE INC' → 'acme concrete inc'; '&' reads 'and'."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().casefold()
    text = _DOTTED.sub(lambda m: m.group(1).replace(".", ""), text)
    text = text.replace("&", " and ").replace("+", " and ")
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    if words and words[0] == "the":
        words = words[1:]
    # Legal forms only count at the end ("Co" in "Co Op Supply" is not a legal form).
    end = len(words)
    while end > 1 and words[end - 1] in LEGAL_FORMS:
        end -= 1
    return " ".join(words[:end] + [LEGAL_FORMS[w] for w in words[end:]])


def base_name(name: str) -> str:
    """The normalised name without its legal form: 'Delta Framing, L.L.C.' → 'delta framing'."""
    words = normalised_name(name).split()
    while len(words) > 1 and words[-1] in LEGAL_FORMS.values():
        words.pop()
    return " ".join(words)


def tax_key(value: str) -> str:
    digits = re.sub(r"[^0-9A-Za-z]", "", value or "").upper()
    return digits if len(digits) >= 5 else ""  # too short to identify anybody


def email_key(value: str) -> str:
    value = (value or "").strip().casefold()
    return value if "@" in value else ""


# (rule, key function): normalised names are tried with the legal form kept, then without it.
PASSES: tuple[tuple[Rule, Callable[[Party], str]], ...] = (
    (EXACT, lambda p: exact_name(p.name)),
    (NORMALISED, lambda p: normalised_name(p.name)),
    (NORMALISED, lambda p: base_name(p.name)),
    (TAX, lambda p: tax_key(p.tax_number)),
    (EMAIL, lambda p: email_key(p.email)),
)


def suggest(procore: Iterable[Party], xero: Iterable[Party]) -> list[Suggestion]:
    """One suggestion at most per record, strongest rule first, deterministic."""
    left = sorted(procore, key=lambda p: p.id)
    right = sorted(xero, key=lambda p: p.id)
    out: list[Suggestion] = []
    for rule, key in PASSES:
        lefts, rights = _unique_keys(left, key), _unique_keys(right, key)
        paired = {k for k in lefts if k in rights}
        out += [Suggestion(lefts[k], rights[k], rule) for k in sorted(paired)]
        taken_left = {lefts[k].id for k in paired}
        taken_right = {rights[k].id for k in paired}
        left = [p for p in left if p.id not in taken_left]
        right = [p for p in right if p.id not in taken_right]
    return sorted(out, key=lambda s: (s.procore.name.casefold(), s.procore.id))


def _unique_keys(parties: list[Party], key) -> dict[str, Party]:
    seen: dict[str, Party] = {}
    clashes: set[str] = set()
    for party in parties:
        k = key(party)
        if not k:
            continue
        if k in seen:
            clashes.add(k)
        seen[k] = party
    return {k: p for k, p in seen.items() if k not in clashes}
