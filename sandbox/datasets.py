"""The seeded companies both emulators share, so the two sides describe one business.

Sizes: `small` is a demo a person can read, `medium` is the benchmark company,
`large` is ten times medium. Same (size, seed) ⇒ same data, on both emulators.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    cost_codes: int
    cost_types: int
    projects: int
    vendors: int
    commitments: int
    lines_per_commitment: int
    change_orders: int
    invoices: int
    xero_contacts: int  # of which about half match Procore vendors by name (with variations)
    xero_spend_documents: int  # bills not made by us, spend money, manual journals
    xero_bill_payments: int
    xero_tracking_options: int  # pre-existing options in the "Job" category


SIZES: dict[str, Size] = {
    "empty": Size(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    "small": Size(12, 3, 4, 30, 8, 3, 4, 8, 20, 12, 6, 2),
    "medium": Size(400, 5, 150, 1500, 3000, 8, 1500, 12000, 1000, 5000, 10000, 20),
    "large": Size(4000, 5, 1500, 15000, 30000, 8, 15000, 120000, 10000, 50000, 100000, 50),
}

# The Procore company the seeded data belongs to, and a second one (one deployment, many companies).
PROCORE_COMPANIES = [
    {"id": 4270001, "name": "Summit Ridge Builders"},
    {"id": 4270002, "name": "Harbor Line Construction"},
]

# Xero organisations the sandbox OAuth client can reach. Class is the plan:
# STANDARD = US "Growing", PREMIUM = "Established", STARTER = "Early" (refused by the connector).
XERO_ORGANISATIONS = [
    {"tenantId": "6a1c9d3e-1f2b-4c5d-8e9f-0a1b2c3d4e01", "Name": "Summit Ridge Builders LLC",
     "CountryCode": "US", "Version": "US", "Class": "STANDARD", "BaseCurrency": "USD"},
    {"tenantId": "6a1c9d3e-1f2b-4c5d-8e9f-0a1b2c3d4e02", "Name": "Harbor Line Construction Ltd",
     "CountryCode": "CA", "Version": "GLOBAL", "Class": "PREMIUM", "BaseCurrency": "CAD"},
    {"tenantId": "6a1c9d3e-1f2b-4c5d-8e9f-0a1b2c3d4e03", "Name": "Tiny Tools Handyman",
     "CountryCode": "US", "Version": "US", "Class": "STARTER", "BaseCurrency": "USD"},
    {"tenantId": "6a1c9d3e-1f2b-4c5d-8e9f-0a1b2c3d4e04", "Name": "Kiwi Build Ltd",
     "CountryCode": "NZ", "Version": "NZ", "Class": "PREMIUM", "BaseCurrency": "NZD"},
]
# Every other Organisation.Class of Xero's current enum (specs/xero/xero_accounting.yaml, Organisation.Class)
# and the PARTNER edition, one organisation each, so every plan can be connected to. The API says which class
# an organisation is on, not which countries sell which plan: the countries here are only plausible.
_PLAN_ORGANISATIONS = [  # (Class, country, Edition)
    ("DEMO", "US", "BUSINESS"), ("TRIAL", "US", "BUSINESS"), ("PREMIUM_20", "AU", "BUSINESS"),
    ("PREMIUM_50", "AU", "BUSINESS"), ("PREMIUM_100", "AU", "BUSINESS"), ("LEDGER", "NZ", "PARTNER"),
    ("GST_CASHBOOK", "NZ", "PARTNER"), ("NON_GST_CASHBOOK", "AU", "PARTNER"), ("ULTIMATE", "CA", "BUSINESS"),
    ("LITE", "GB", "BUSINESS"), ("ULTIMATE_10", "AU", "BUSINESS"), ("ULTIMATE_20", "AU", "BUSINESS"),
    ("ULTIMATE_50", "AU", "BUSINESS"), ("ULTIMATE_100", "AU", "BUSINESS"), ("IGNITE", "NZ", "BUSINESS"),
    ("GROW", "GB", "BUSINESS"), ("COMPREHENSIVE", "AU", "BUSINESS"), ("SIMPLE", "US", "BUSINESS"),
    ("BASICLITE", "US", "BUSINESS"), ("ULTRA", "CA", "BUSINESS"),
]
_COUNTRY = {"US": ("US", "USD"), "CA": ("GLOBAL", "CAD"), "AU": ("AU", "AUD"), "NZ": ("NZ", "NZD"),
            "GB": ("UK", "GBP")}
XERO_ORGANISATIONS += [
    {"tenantId": f"6a1c9d3e-1f2b-4c5d-8e9f-0a1b2c3d4e{n + 5:02d}",
     "Name": f"{plan.replace('_', ' ').title()} Plan Builders", "CountryCode": country,
     "Version": _COUNTRY[country][0], "Class": plan, "BaseCurrency": _COUNTRY[country][1], "Edition": edition}
    for n, (plan, country, edition) in enumerate(_PLAN_ORGANISATIONS)
]



def tenant_companies(tenants: int) -> list[dict]:
    """The Procore companies holding the dataset when a sandbox serves `tenants` equal companies: the first
    of PROCORE_COMPANIES, the second, then numbered ones (one deployment, many companies)."""
    extra = [{"id": PROCORE_COMPANIES[0]["id"] + n, "name": f"Tenant {n + 1} Builders"}
             for n in range(len(PROCORE_COMPANIES), tenants)]
    return (PROCORE_COMPANIES + extra)[:max(1, tenants)]


def procore_companies(tenants: int) -> list[dict]:
    """Every company the sandbox knows: the listed ones, and the tenant companies beyond them."""
    return PROCORE_COMPANIES + tenant_companies(tenants)[len(PROCORE_COMPANIES):]


def tenant_organisations(tenants: int) -> list[dict]:
    """The Xero organisations holding the dataset, one per tenant company: the first organisation, then copies of
    it (same plan, country and currency, so the tenants are equal) with ids and names of their own."""
    first = XERO_ORGANISATIONS[0]
    return [first] + [{**first, "tenantId": f"{first['tenantId'][:-12]}5e{n:010d}",
                       "Name": f"{company['name']} LLC"}
                      for n, company in enumerate(tenant_companies(tenants)[1:], 1)]


def xero_organisations(tenants: int) -> list[dict]:
    """Every organisation the sandbox knows: the listed ones, and the tenant copies."""
    return XERO_ORGANISATIONS + tenant_organisations(tenants)[1:]


_FIRST = ["Acme", "Apex", "Blue Sky", "Cornerstone", "Delta", "Evergreen", "Granite", "Iron Gate", "Keystone",
          "Lakeside", "Metro", "North Star", "Pioneer", "Redwood", "Summit", "Titan", "Valley", "Westside"]
_TRADE = ["Concrete", "Electric", "Plumbing", "Drywall", "Roofing", "Steel", "HVAC", "Masonry", "Glazing",
          "Paving", "Excavation", "Framing", "Painting", "Flooring", "Landscaping", "Fire Protection"]
_SUFFIX = ["Inc.", "LLC", "Co.", "Ltd", "Corp.", "& Sons", "Group", ""]

COST_TYPES = [("L", "Labor", "labor"), ("M", "Materials", "materials"), ("E", "Equipment", "equipment"),
              ("S", "Subcontract", "commitment"), ("O", "Other", "other")]

DIVISIONS = ["General Requirements", "Existing Conditions", "Concrete", "Masonry", "Metals",
             "Wood & Plastics", "Thermal & Moisture", "Openings", "Finishes", "Specialties"]


def rng(seed: int, topic: str) -> random.Random:
    """An independent, deterministic stream per topic so adding a topic does not shift the others."""
    return random.Random(f"{seed}:{topic}")


def stable_uuid(seed: int, kind: str, number: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox:{seed}:{kind}:{number}"))


def vendor_names(size: str, seed: int) -> list[str]:
    """Procore vendor names; unique."""
    count = SIZES[size].vendors
    r = rng(seed, "vendors")
    names: list[str] = []
    seen: set[str] = set()
    n = 0
    while len(names) < count:
        n += 1
        base = f"{r.choice(_FIRST)} {r.choice(_TRADE)}"
        suffix = r.choice(_SUFFIX)
        name = f"{base} {suffix}".strip()
        if name.lower() in seen:
            name = f"{base} {n} {suffix}".strip()
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        names.append(name)
    return names


def variant_of(name: str, r: random.Random) -> str:
    """How the same company tends to be typed in the accounting system."""
    choice = r.randrange(4)
    if choice == 0:
        return name.upper()
    if choice == 1:
        return name.replace(" Inc.", ", Inc").replace(" LLC", ", L.L.C.").replace(" Co.", " Company")
    if choice == 2:
        return name.replace("&", "and").replace(".", "")
    return name


def xero_contact_names(size: str, seed: int) -> list[tuple[str, str | None]]:
    """(Xero contact name, the Procore vendor name it corresponds to or None); names unique."""
    spec = SIZES[size]
    r = rng(seed, "contacts")
    vendors = vendor_names(size, seed)
    matched = vendors[: min(len(vendors), spec.xero_contacts // 2)]
    out: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for vendor in matched:
        contact = variant_of(vendor, r)
        if contact.lower() not in seen:
            seen.add(contact.lower())
            out.append((contact, vendor))
    n = 0
    while len(out) < spec.xero_contacts:
        n += 1
        name = f"{r.choice(_FIRST)} {r.choice(['Supply', 'Rentals', 'Hardware', 'Fuel', 'Insurance'])} #{n}"
        if name.lower() not in seen:
            seen.add(name.lower())
            out.append((name, None))
    return out


def project_names(size: str, seed: int) -> list[str]:
    r = rng(seed, "projects")
    kinds = ["Medical Office", "Elementary School", "Warehouse", "Mixed-Use Tower", "Parking Garage",
             "Library Renovation", "Fire Station", "Retail Center", "Apartments", "Bridge Repair"]
    cities = ["Denver", "Boise", "Austin", "Tacoma", "Reno", "Omaha", "Tulsa", "Fresno", "Spokane", "Mesa"]
    return [f"{r.choice(cities)} {r.choice(kinds)} {i + 1:03d}" for i in range(SIZES[size].projects)]


def cost_codes(size: str, seed: int) -> list[tuple[str, str]]:
    """(full_code like '03-100', description) for the company's standard cost code list."""
    r = rng(seed, "cost_codes")
    count = SIZES[size].cost_codes
    codes = []
    for i in range(count):
        division = i % len(DIVISIONS) + 1 if count <= 100 else (i // 40) % 99 + 1
        codes.append((f"{division:02d}-{(i // len(DIVISIONS) + 1) * 10 + 100 if count <= 100 else (i % 40) * 25 + 100:03d}",
                      f"{DIVISIONS[(division - 1) % len(DIVISIONS)]} {r.choice(['Labor pool', 'Install', 'Supply', 'Prep', 'Finish', 'Testing'])} {i + 1}"))
    # Guarantee uniqueness of codes.
    seen, unique = set(), []
    for code, name in codes:
        while code in seen:
            code += "A"
        seen.add(code)
        unique.append((code, name))
    return unique


def cost_types(size: str) -> list[tuple[str, str, str]]:
    """(code, name, base_type) of the company's line item types."""
    return COST_TYPES[: SIZES[size].cost_types]
