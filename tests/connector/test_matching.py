"""Suggested matches: which rule pairs which records, one suggestion per record, never a guess."""

import pytest

from connector.matching import EMAIL, EXACT, NORMALISED, TAX, Party, base_name, normalised_name, suggest
from sandbox.datasets import vendor_names, xero_contact_names


@pytest.mark.parametrize("procore, xero", [
    ("Acme Concrete, Inc.", "ACME CONCRETE INC"),
    ("Acme Painting & Sons", "Acme Painting and Sons"),
    ("Delta Framing LLC", "DELTA FRAMING, L.L.C."),
    ("Evergreen Flooring Co.", "Evergreen Flooring Company"),
    ("Pioneer Excavation Corp.", "Pioneer Excavation Corporation"),
    ("Summit Glazing Ltd", "Summit Glazing Limited"),
    ("The Keystone Group", "Keystone Group"),
])
def test_the_usual_ways_of_typing_one_company_normalise_alike(procore, xero):
    assert normalised_name(procore) == normalised_name(xero)


def test_normalising_keeps_what_tells_companies_apart():
    assert normalised_name("Pioneer Excavation Ltd") != normalised_name("Pioneer Excavation Corp.")
    assert normalised_name("Co Op Supply") == "co op supply"  # a leading "Co" is not a legal form
    assert base_name("Delta Framing, L.L.C.") == "delta framing"
    assert base_name("LLC") == "llc"  # never reduced to nothing


def p(id_, name, email="", tax=""):
    return Party(str(id_), name, email, tax)


def test_each_suggestion_says_which_rule_matched():
    found = {s.procore.id: (s.xero.id, s.rule) for s in suggest(
        [p(1, "Westside Roofing"), p(2, "Delta Steel Inc."), p(3, "Granite HVAC", tax="12-3456789"),
         p(4, "Blue Sky Painting", email="AP@bluesky.example")],
        [p("a", "WESTSIDE ROOFING"), p("b", "Delta Steel, Inc"),
         p("c", "Granite Mechanical", tax="123456789"),
         p("d", "Blue Sky Decorators", email="ap@bluesky.example ")])}
    assert found == {"1": ("a", EXACT), "2": ("b", NORMALISED), "3": ("c", TAX), "4": ("d", EMAIL)}


def test_the_stronger_rule_wins_and_a_record_is_suggested_once():
    suggestions = suggest([p(1, "Acme Steel"), p(2, "ACME STEEL INC", email="x@acme.example")],
                          [p("a", "Acme Steel", email="x@acme.example")])
    assert [(s.procore.id, s.xero.id, s.rule) for s in suggestions] == [("1", "a", EXACT)]


def test_an_ambiguous_key_suggests_nothing_rather_than_guessing():
    assert suggest([p(1, "Pioneer Excavation Ltd"), p(2, "Pioneer Excavation Limited")],
                   [p("a", "Pioneer Excavation")]) == []
    assert suggest([p(1, "Apex Steel", tax="11-1111111")],
                   [p("a", "One", tax="111111111"), p("b", "Two", tax="11 1111111")]) == []


def test_a_legal_form_is_ignored_only_when_nothing_closer_matches():
    suggestions = suggest([p(1, "Pioneer Excavation Corp."), p(2, "Pioneer Excavation Ltd")],
                          [p("a", "Pioneer Excavation Corp"), p("b", "PIONEER EXCAVATION")])
    assert {(s.procore.id, s.xero.id) for s in suggestions} == {("1", "a"), ("2", "b")}


def test_short_or_empty_keys_never_match():
    assert suggest([p(1, "A", tax="12", email="")], [p("a", "B", tax="12", email="")]) == []


def test_suggestions_do_not_depend_on_input_order():
    procore = [p(i, name) for i, name in enumerate(vendor_names("small", 1))]
    xero = [p(f"x{i}", name) for i, (name, _) in enumerate(xero_contact_names("small", 1))]
    as_pairs = lambda s: [(x.procore.id, x.xero.id, x.rule.code) for x in s]  # noqa: E731
    assert as_pairs(suggest(procore, xero)) == as_pairs(suggest(reversed(procore), reversed(xero)))


def test_the_seeded_dataset_pairs_every_contact_typed_for_a_vendor_and_nothing_else():
    procore = [p(i, name) for i, name in enumerate(vendor_names("small", 1))]
    contacts = xero_contact_names("small", 1)
    xero = [p(f"x{i}", name) for i, (name, _) in enumerate(contacts)]
    by_name = {x.id: x.name for x in procore}
    got = {(by_name[s.procore.id], s.xero.name) for s in suggest(procore, xero)}
    assert got == {(vendor, contact) for contact, vendor in contacts if vendor}
