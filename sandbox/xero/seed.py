"""Deterministic Xero data for a (size, seed): organisations, chart of accounts, tax rates, tracking,
contacts matching Procore vendors, spend (bills, spend money, manual journals) and bill payments.

The first organisation holds the data (with `tenants` N, N equal organisations each hold a copy with ids of its
own); the others only have their settings. Rows are built as plain
dicts in one pass (medium seeds in well under a few seconds) and inserted without webhook events.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sandbox.datasets import (
    SIZES,
    project_names,
    rng,
    stable_uuid,
    tenant_organisations,
    xero_contact_names,
    xero_organisations,
)

from .formats import msdate
from .state import ID_FIELDS

BASE_UPDATED = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
BASE_DATE = date(2025, 6, 1)
PERIOD_LOCK, END_OF_YEAR_LOCK = date(2024, 12, 31), date(2023, 12, 31)
BANK_CODE = "090"
EXPENSE_CODES = ["500", "510", "520", "530"]

ACCOUNTS = [  # (code, name, type, bank?)
    ("090", "Operating Checking", "BANK", True),
    ("091", "Payroll Checking", "BANK", True),
    ("200", "Construction Revenue", "REVENUE", False),
    ("500", "Job Costs - Subcontractors", "DIRECTCOSTS", False),
    ("510", "Job Costs - Materials", "DIRECTCOSTS", False),
    ("520", "Job Costs - Equipment Rental", "DIRECTCOSTS", False),
    ("530", "Job Costs - Labor", "DIRECTCOSTS", False),
    ("600", "Office Expenses", "OVERHEADS", False),
    ("610", "Accounts Receivable", "CURRENT", False),
    ("800", "Accounts Payable", "CURRLIAB", False),
    ("820", "Retainage Payable", "CURRLIAB", False),
    ("960", "Retained Earnings", "EQUITY", False),
]
TAX_RATES = {  # per country: (TaxType, Name, rate)
    "US": [
        ("NONE", "Tax Exempt", "0"),
        ("INPUT", "Tax on Purchases", "0"),
        ("OUTPUT", "Tax on Sales", "0"),
        ("GSTONIMPORTS", "Sales Tax on Imports", "0"),
        ("TAX001", "State Use Tax", "6.25"),
    ],
    "CA": [
        ("NONE", "No GST", "0"),
        ("INPUT", "GST on Purchases", "5"),
        ("OUTPUT", "GST on Sales", "5"),
        ("TAX001", "HST on Purchases (ON)", "13"),
    ],
    "NZ": [("NONE", "No GST", "0"), ("INPUT2", "GST on Expenses", "15"), ("OUTPUT2", "GST on Income", "15")],
    "AU": [("BASEXCLUDED", "BAS Excluded", "0"), ("INPUT", "GST on Expenses", "10"),
           ("OUTPUT", "GST on Income", "10")],
    "GB": [("NONE", "No VAT", "0"), ("INPUT2", "20% (VAT on Expenses)", "20"),
           ("OUTPUT2", "20% (VAT on Income)", "20")],
}


def _default_tax(country: str, sales: bool) -> str:
    """The tax rate an account starts with: the country's sales rate, else its no-tax rate."""
    rates = [r[0] for r in TAX_RATES.get(country, TAX_RATES["US"])]
    return next((t for t in rates if t.startswith("OUTPUT")), rates[0]) if sales else rates[0]


def _insert(state, kind: str, tenant: str, row: dict, stamp: float) -> None:
    row["_tenant"], row["_updated"], row["UpdatedDateUTC"] = tenant, stamp, msdate(stamp)
    state.table(kind)[str(row[ID_FIELDS[kind]]).lower()] = row


def seed_all(state, size: str, seed: int) -> None:
    state.organisations = [dict(org) for org in xero_organisations(state.tenants)]
    for tables in ("Organisation", "Accounts", "TaxRates"):
        state.table(tables)
    for number, org in enumerate(state.organisations):
        _seed_settings(state, org, number)
    if SIZES[size].xero_contacts or SIZES[size].xero_spend_documents:
        for number, org in enumerate(tenant_organisations(state.tenants)):
            _seed_data(state, org["tenantId"], size, seed, number)
    for kind in ID_FIELDS:
        state.table(kind)


def _seed_settings(state, org: dict, number: int) -> None:
    tenant = org["tenantId"]
    _insert(
        state,
        "Organisation",
        tenant,
        {
            "OrganisationID": stable_uuid(0, "xero-org", number),
            "APIKey": "",
            "Name": org["Name"],
            "LegalName": org["Name"],
            "PaysTax": True,
            "Version": org["Version"],
            "OrganisationType": "COMPANY",
            "BaseCurrency": org["BaseCurrency"],
            "CountryCode": org["CountryCode"],
            "IsDemoCompany": org["Class"] == "DEMO",
            "OrganisationStatus": "ACTIVE",
            "FinancialYearEndDay": 31,
            "FinancialYearEndMonth": 12,
            "SalesTaxBasis": "ACCRUAL" if org["CountryCode"] != "NZ" else "INVOICE",
            "Class": org["Class"],
            "Edition": org.get("Edition", "BUSINESS"),
            "ShortCode": f"!SB{number:03d}",
            "Timezone": "PACIFICSTANDARDTIME",
            "OrganisationEntityType": "COMPANY",
            "CreatedDateUTC": msdate(BASE_UPDATED - 86400 * 400),
            # Before every seeded or Procore-dated document (the earliest is 2025-01), so the data stays valid.
            "PeriodLockDate": msdate(PERIOD_LOCK),
            "EndOfYearLockDate": msdate(END_OF_YEAR_LOCK),
        },
        BASE_UPDATED,
    )
    for i, (code, name, kind, bank) in enumerate(ACCOUNTS):
        row = {
            "AccountID": stable_uuid(number, "xero-account", i),
            "Code": code,
            "Name": name,
            "Type": kind,
            "Status": "ACTIVE",
            "TaxType": _default_tax(org["CountryCode"], kind == "REVENUE"),
            "EnablePaymentsToAccount": False,
            "ShowInExpenseClaims": kind in ("DIRECTCOSTS", "OVERHEADS"),
            "Class": {
                "BANK": "ASSET",
                "CURRENT": "ASSET",
                "REVENUE": "REVENUE",
                "DIRECTCOSTS": "EXPENSE",
                "OVERHEADS": "EXPENSE",
                "CURRLIAB": "LIABILITY",
                "EQUITY": "EQUITY",
            }[kind],
            "ReportingCode": "",
            "HasAttachments": False,
        }
        if bank:
            row.update(
                BankAccountNumber=f"12100000{number}{i:02d}",
                BankAccountType="BANK",
                CurrencyCode=org["BaseCurrency"],
            )
        if code == "800":
            row["SystemAccount"] = "CREDITORS"
        _insert(state, "Accounts", tenant, row, BASE_UPDATED)
    for tax_type, name, rate in TAX_RATES.get(org["CountryCode"], TAX_RATES["US"]):
        rate_d = Decimal(rate)
        state.table("TaxRates")[f"{tenant}:{tax_type}".lower()] = {
            "_tenant": tenant,
            "Name": name,
            "TaxType": tax_type,
            "Status": "ACTIVE",
            "TaxComponents": [{"Name": name, "Rate": rate_d, "IsCompound": False, "IsNonRecoverable": False}],
            "CanApplyToAssets": True,
            "CanApplyToEquity": True,
            "CanApplyToExpenses": True,
            "CanApplyToLiabilities": True,
            "CanApplyToRevenue": tax_type != "INPUT",
            "DisplayTaxRate": rate_d,
            "EffectiveRate": rate_d,
        }


def _seed_data(state, tenant: str, size: str, seed: int, number: int = 0) -> None:
    """`number`: which tenant copy of the dataset this is (0: the first); copies get ids of their own."""

    def uid(kind: str, n: int) -> str:
        return stable_uuid(seed, f"{kind}@{number}" if number else kind, n)

    spec = SIZES[size]
    r = rng(seed, "xero-spend")
    stamp = iter(BASE_UPDATED + i * 60 for i in range(10**9))
    # Tracking: an existing "Region" category and the "Job" category with a few options (project names).
    region = {
        "TrackingCategoryID": uid("xero-tc", 1),
        "Name": "Region",
        "Status": "ACTIVE",
        "Options": [
            {"TrackingOptionID": uid("xero-to-region", i), "Name": name, "Status": "ACTIVE"}
            for i, name in enumerate(["North", "South", "East"])
        ],
    }
    projects = project_names(size, seed)
    jobs = [
        projects[i] if i < len(projects) else f"Job {i + 1:03d}" for i in range(spec.xero_tracking_options)
    ]
    job = {
        "TrackingCategoryID": uid("xero-tc", 2),
        "Name": "Job",
        "Status": "ACTIVE",
        "Options": [
            {"TrackingOptionID": uid("xero-to-job", i), "Name": name[:50], "Status": "ACTIVE"}
            for i, name in enumerate(jobs)
        ],
    }
    for category in (region, job):
        _insert(state, "TrackingCategories", tenant, category, next(stamp))
    accounts = {a["Code"]: a for a in state.rows("Accounts", tenant)}
    bank = accounts[BANK_CODE]

    contacts = []
    for i, (name, vendor) in enumerate(xero_contact_names(size, seed)):
        row = {
            "ContactID": uid("xero-contact", i),
            "Name": name,
            "ContactStatus": "ARCHIVED" if (vendor is None and i % 17 == 16) else "ACTIVE",
            "EmailAddress": f"ap{i}@{''.join(ch for ch in name.lower() if ch.isalnum())[:20]}.example",
            "IsSupplier": True,
            "IsCustomer": False,
            "HasAttachments": False,
            "HasValidationErrors": False,
            "Addresses": [],
            "Phones": [],
            "ContactGroups": [],
            "ContactPersons": [],
        }
        if i % 3 == 0:
            row.update(TaxNumber=f"{10 + i % 80:02d}-{1000000 + i:07d}", TaxNumberType="EIN")
        _insert(state, "Contacts", tenant, row, next(stamp))
        contacts.append(row)
    active = [c for c in contacts if c["ContactStatus"] == "ACTIVE"] or contacts

    def line(n: int, kind: str, amount: Decimal) -> dict:
        option = r.choice(job["Options"]) if job["Options"] else None
        item = {
            "LineItemID": uid(f"xero-line-{kind}", n),
            "Description": r.choice(
                [
                    "Rebar delivery",
                    "Crane rental",
                    "Concrete pour",
                    "Site fencing",
                    "Temporary power",
                    "Dumpster haul",
                    "Lumber package",
                    "Safety supplies",
                ]
            ),
            "Quantity": Decimal("1.0000"),
            "UnitAmount": amount,
            "LineAmount": amount,
            "AccountCode": r.choice(EXPENSE_CODES),
            "TaxType": "NONE",
            "TaxAmount": Decimal("0.00"),
            "Tracking": [],
        }
        if option:
            item["Tracking"].append(
                {
                    "TrackingCategoryID": job["TrackingCategoryID"],
                    "Name": "Job",
                    "Option": option["Name"],
                    "TrackingOptionID": option["TrackingOptionID"],
                }
            )
        return item

    bills = []
    n_bills = spec.xero_spend_documents // 2
    n_spend = spec.xero_spend_documents * 3 // 10
    n_journals = spec.xero_spend_documents - n_bills - n_spend
    line_no = 0
    for i in range(n_bills):
        contact = active[i % len(active)] if active else None
        day = BASE_DATE + timedelta(days=r.randrange(0, 180))
        lines = []
        for _ in range(1 + r.randrange(3)):
            line_no += 1
            lines.append(line(line_no, "bill", Decimal(r.randrange(10000, 2000000)) / 100))
        total = sum(x["LineAmount"] for x in lines)
        row = {
            "InvoiceID": uid("xero-bill", i),
            "Type": "ACCPAY",
            "InvoiceNumber": f"SUP-{4000 + i}",
            "Reference": "",
            "Contact": {"ContactID": contact["ContactID"], "Name": contact["Name"]},
            "Date": msdate(day),
            "DueDate": msdate(day + timedelta(days=30)),
            "LineAmountTypes": "NoTax",
            "LineItems": lines,
            "Status": "AUTHORISED",
            "CurrencyCode": "USD",
            "CurrencyRate": Decimal(1),
            "SubTotal": total,
            "TotalTax": Decimal("0.00"),
            "Total": total,
            "AmountDue": total,
            "AmountPaid": Decimal("0.00"),
            "AmountCredited": Decimal("0.00"),
            "HasAttachments": False,
            "IsDiscounted": False,
            "HasErrors": False,
            "Payments": [],
            "CreditNotes": [],
            "Prepayments": [],
            "Overpayments": [],
            "SentToContact": False,
        }
        _insert(state, "Invoices", tenant, row, next(stamp))
        bills.append(row)
    for i in range(n_spend):
        contact = active[(i * 7) % len(active)] if active else None
        line_no += 1
        lines = [line(line_no, "spend", Decimal(r.randrange(2000, 500000)) / 100)]
        total = lines[0]["LineAmount"]
        row = {
            "BankTransactionID": uid("xero-spend", i),
            "Type": "SPEND",
            "Contact": {"ContactID": contact["ContactID"], "Name": contact["Name"]} if contact else None,
            "LineItems": lines,
            "BankAccount": {"AccountID": bank["AccountID"], "Code": bank["Code"], "Name": bank["Name"]},
            "IsReconciled": i % 2 == 0,
            "Date": msdate(BASE_DATE + timedelta(days=r.randrange(0, 180))),
            "Reference": f"Card {1000 + i}",
            "CurrencyCode": "USD",
            "Status": "AUTHORISED",
            "LineAmountTypes": "NoTax",
            "SubTotal": total,
            "TotalTax": Decimal("0.00"),
            "Total": total,
            "HasAttachments": False,
        }
        if row["Contact"] is None:
            del row["Contact"]
        _insert(state, "BankTransactions", tenant, row, next(stamp))
    for i in range(n_journals):
        line_no += 1
        amount = Decimal(r.randrange(5000, 900000)) / 100
        debit = line(line_no, "journal", amount)
        journal_lines = [
            {
                "LineAmount": amount,
                "AccountCode": debit["AccountCode"],
                "Description": debit["Description"],
                "TaxType": "NONE",
                "TaxAmount": Decimal("0.00"),
                "IsBlank": False,
                "Tracking": [
                    {
                        "TrackingCategoryID": t["TrackingCategoryID"],
                        "Name": t["Name"],
                        "Option": t["Option"],
                        "TrackingOptionID": t["TrackingOptionID"],
                    }
                    for t in debit["Tracking"]
                ],
            },
            {
                "LineAmount": -amount,
                "AccountCode": "820",
                "Description": "Accrual",
                "TaxType": "NONE",
                "TaxAmount": Decimal("0.00"),
                "IsBlank": False,
                "Tracking": [],
            },
        ]
        _insert(
            state,
            "ManualJournals",
            tenant,
            {
                "ManualJournalID": uid("xero-mj", i),
                "Narration": f"Job cost accrual {i + 1}",
                "JournalLines": journal_lines,
                "Date": msdate(BASE_DATE + timedelta(days=r.randrange(0, 180))),
                "LineAmountTypes": "NoTax",
                "Status": "POSTED",
                "ShowOnCashBasisReports": True,
                "HasAttachments": False,
            },
            next(stamp),
        )
    _seed_payments(state, tenant, bills, bank, spec.xero_bill_payments, uid, stamp)


def _seed_payments(state, tenant: str, bills: list[dict], bank: dict, count: int, uid, stamp) -> None:
    """Spread `count` payments over the bills: several partial payments per bill, every 4th paid off."""
    if not bills or not count:
        return
    per_bill = max(1, -(-count // len(bills)))
    made = 0
    for b, bill in enumerate(bills):
        if made >= count:
            break
        n = min(per_bill, count - made)
        fully = b % 4 == 0
        share = (bill["Total"] * (Decimal(1) if fully else Decimal("0.9")) / n).quantize(Decimal("0.01"))
        for k in range(n):
            amount = share if k < n - 1 or not fully else bill["AmountDue"]
            amount = min(amount, bill["AmountDue"])
            if amount <= 0:
                break
            when = msdate(BASE_DATE + timedelta(days=200 + k))
            payment = {
                "PaymentID": uid("xero-payment", made),
                "Date": when,
                "Amount": amount,
                "BankAmount": amount,
                "CurrencyRate": Decimal(1),
                "Reference": f"CHK {20000 + made}",
                "IsReconciled": False,
                "Status": "AUTHORISED",
                "PaymentType": "ACCPAYPAYMENT",
                "HasAccount": True,
                "HasValidationErrors": False,
                "Account": {"AccountID": bank["AccountID"], "Code": bank["Code"]},
                "Invoice": {
                    "InvoiceID": bill["InvoiceID"],
                    "InvoiceNumber": bill["InvoiceNumber"],
                    "Type": "ACCPAY",
                    "Contact": dict(bill["Contact"]),
                },
            }
            _insert(state, "Payments", tenant, payment, next(stamp))
            bill["AmountDue"] -= amount
            bill["AmountPaid"] += amount
            bill["Payments"].append(
                {
                    "PaymentID": payment["PaymentID"],
                    "Date": when,
                    "Amount": amount,
                    "Reference": payment["Reference"],
                    "CurrencyRate": Decimal(1),
                    "HasAccount": True,
                    "HasValidationErrors": False,
                }
            )
            if bill["AmountDue"] == 0:
                bill["Status"] = "PAID"
                bill["FullyPaidOnDate"] = when
            made += 1
