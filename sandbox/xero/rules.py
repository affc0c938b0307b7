"""What Xero does with one written element: the platform rules that bite integrations.

Each `save_*` validates one element against the organisation's data, stores it and returns the row,
or raises `Invalid` with Xero-style messages. Callers hold `state.lock`. Here: items, contacts and
tracking; `transactions` has purchase orders, bills, spend money and journals; `payments` the rest.
"""

from __future__ import annotations

from . import documents as docs
from . import lengths
from .documents import Invalid
from .formats import new_id

MAX_ACTIVE_CATEGORIES, MAX_CATEGORIES = 2, 4


def existing_row(state, tenant, kind, element, id_field):
    record_id = element.get(id_field)
    if not record_id:
        return None
    row = state.get(kind, tenant, record_id)
    if row is None:
        raise Invalid(f"{id_field} {record_id} could not be found")
    return row


# -- Items -----------------------------------------------------------------------------------------
def save_item(state, tenant, element, mode, app=None):
    code = element.get("Code")
    if not code:
        raise Invalid("Item Code must be specified")
    lengths.check("Items", element)
    row = existing_row(state, tenant, "Items", element, "ItemID")
    same_code = next((i for i in state.rows("Items", tenant) if i["Code"].lower() == code.lower()), None)
    if row is None and same_code is not None:
        if mode == "PUT":
            raise Invalid(f"Item code '{code}' already exists")
        row = same_code  # POST by Code updates the existing item
    elif row is not None and same_code is not None and same_code is not row:
        raise Invalid(f"Item code '{code}' already exists")
    created = row is None
    row = dict(
        row or {"ItemID": new_id(), "IsSold": True, "IsPurchased": True, "IsTrackedAsInventory": False}
    )
    for key in (
        "Code",
        "Name",
        "Description",
        "PurchaseDescription",
        "IsSold",
        "IsPurchased",
        "InventoryAssetAccountCode",
    ):
        if key in element:
            row[key] = element[key]
    for key in ("PurchaseDetails", "SalesDetails"):
        if isinstance(element.get(key), dict):
            details = dict(element[key])
            if details.get("AccountCode") and not docs.find_account(
                state, tenant, {"Code": details["AccountCode"]}
            ):
                raise Invalid(f"Account code '{details['AccountCode']}' is not a valid code")
            row[key] = details
    if element.get("IsTrackedAsInventory"):
        raise Invalid(
            "Tracked inventory items need an inventory asset account (not supported for cost codes)"
        )
    return state.put("Items", tenant, row, created)


# -- Contacts --------------------------------------------------------------------------------------
def save_contact(state, tenant, element, mode, app=None):
    row = existing_row(state, tenant, "Contacts", element, "ContactID")
    others = state.rows("Contacts", tenant)
    number_ = element.get("ContactNumber")
    if row is None and number_ and mode == "POST":
        row = next((c for c in others if c.get("ContactNumber") == number_), None)
    created = row is None
    name = (element.get("Name") if "Name" in element else (row or {}).get("Name")) or ""
    if not name.strip():
        raise Invalid("The contact name must be specified")
    lengths.check("Contacts", {**element, "Name": name})
    status = element.get("ContactStatus") or (row or {}).get("ContactStatus") or "ACTIVE"
    errors = []
    if status == "ACTIVE" and any(
        c is not row
        and c.get("ContactStatus") == "ACTIVE"
        and c["Name"].strip().lower() == name.strip().lower()
        for c in others
    ):
        errors.append(
            f"The contact name {name} is already assigned to another contact. "
            "The contact name must be unique across all active contacts."
        )
    if number_ and any(c is not row and c.get("ContactNumber") == number_ for c in others):
        errors.append(f"The contact number {number_} is already assigned to another contact.")
    if errors:
        raise Invalid(*errors)
    row = dict(
        row
        or {
            "ContactID": new_id(),
            "IsSupplier": False,
            "IsCustomer": False,
            "Addresses": [],
            "Phones": [],
            "ContactGroups": [],
            "ContactPersons": [],
            "HasAttachments": False,
            "HasValidationErrors": False,
        }
    )
    for key, value in element.items():
        if key not in (
            "ContactID",
            "IsSupplier",
            "IsCustomer",
            "UpdatedDateUTC",
            "ValidationErrors",
            "HasValidationErrors",
            "HasAttachments",
            "StatusAttributeString",
            "Balances",
        ):
            row[key] = value
    row["Name"], row["ContactStatus"] = name, status
    return state.put("Contacts", tenant, row, created)


# -- Tracking --------------------------------------------------------------------------------------
def save_tracking_category(state, tenant, element, mode, category_id=None):
    categories = state.rows("TrackingCategories", tenant)
    row = state.get("TrackingCategories", tenant, category_id) if category_id else None
    if category_id and row is None:
        raise Invalid(f"TrackingCategory {category_id} could not be found")
    name = (element.get("Name") or (row or {}).get("Name") or "").strip()
    status = element.get("Status") or (row or {}).get("Status") or "ACTIVE"
    if not name:
        raise Invalid("Tracking category name must be specified")
    lengths.check("TrackingCategories", {"Name": name})
    if any(c is not row and c["Name"].lower() == name.lower() for c in categories):
        raise Invalid(f"A tracking category named '{name}' already exists")
    if row is None and len(categories) >= MAX_CATEGORIES:
        raise Invalid("You can only have 4 tracking categories (active and archived)")
    active = [c for c in categories if c["Status"] == "ACTIVE" and c is not row]
    if status == "ACTIVE" and len(active) >= MAX_ACTIVE_CATEGORIES:
        raise Invalid("You can only have 2 active tracking categories")
    created = row is None
    row = dict(row or {"TrackingCategoryID": new_id(), "Options": []})
    row.update(Name=name, Status=status)
    return state.put("TrackingCategories", tenant, row, created)


def save_tracking_option(state, tenant, category_id, element, option_id=None):
    category = state.get("TrackingCategories", tenant, category_id)
    if category is None:
        raise Invalid(f"TrackingCategory {category_id} could not be found")
    options = category["Options"]
    option = (
        next((o for o in options if o["TrackingOptionID"].lower() == str(option_id).lower()), None)
        if option_id
        else None
    )
    if option_id and option is None:
        raise Invalid(f"TrackingOption {option_id} could not be found")
    name = (element.get("Name") or (option or {}).get("Name") or "").strip()
    status = element.get("Status") or (option or {}).get("Status") or "ACTIVE"
    if not name:
        raise Invalid("Tracking option name must be specified")
    lengths.check("Options", {"Name": name})
    if any(o is not option and o["Name"].lower() == name.lower() for o in options):
        raise Invalid(f"For each specified tracking option the name must be unique. '{name}' already exists")
    limit = state.faults.max_active_options
    if (
        status == "ACTIVE"
        and (option is None or option["Status"] != "ACTIVE")
        and sum(o["Status"] == "ACTIVE" for o in options) >= limit
    ):
        raise Invalid(
            f"A tracking category can have at most {limit} active options; archive unused ones first"
        )
    fresh = dict(option or {"TrackingOptionID": new_id()})
    fresh.update(Name=name, Status=status)
    row = dict(category)
    row["Options"] = [fresh if o is option else o for o in options] + ([] if option else [fresh])
    state.put("TrackingCategories", tenant, row, False)
    return fresh


def delete_tracking_option(state, tenant, category_id, option_id):
    category = state.get("TrackingCategories", tenant, category_id)
    option = next(
        (
            o
            for o in (category or {}).get("Options", [])
            if o["TrackingOptionID"].lower() == option_id.lower()
        ),
        None,
    )
    if option is None:
        raise Invalid(f"TrackingOption {option_id} could not be found")
    for kind, key in (
        ("Invoices", "LineItems"),
        ("PurchaseOrders", "LineItems"),
        ("BankTransactions", "LineItems"),
        ("ManualJournals", "JournalLines"),
    ):
        for doc in state.rows(kind, tenant):
            if any(
                t.get("TrackingOptionID", "").lower() == option_id.lower()
                for line in doc.get(key, [])
                for t in line.get("Tracking", [])
            ):
                raise Invalid(
                    f"The tracking option '{option['Name']}' has been used on transactions; archive it instead"
                )
    row = dict(category)
    row["Options"] = [o for o in category["Options"] if o is not option]
    state.put("TrackingCategories", tenant, row, False)
    return dict(option, Status="DELETED")
