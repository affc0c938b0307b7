"""What differs between Procore resources: table, scope, root key, checks, webhook name, serializer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from . import present

WOC_STATUSES = {"Draft", "Out For Bid", "Out For Signature", "Approved", "Complete", "Terminated", "Void"}
POC_STATUSES = {"Draft", "Processing", "Submitted", "Partially Received", "Received", "Approved", "Closed"}
CO_STATUSES = {
    "draft",
    "not_pricing",
    "pricing",
    "pending",
    "revised",
    "proceeding",
    "not_proceeding",
    "no_charge",
    "approved",
    "rejected",
    "void",
}
REQ_STATUSES = {
    "draft",
    "under_review",
    "revise_and_resubmit",
    "approved",
    "approved_as_noted",
    "pending_owner_approval",
}
DC_STATUSES = {"draft", "pending", "revise_and_resubmit", "approved"}
DC_TYPES = {"invoice", "expense", "payroll", "subcontractor_invoice"}
BASE_TYPES = {"labor", "equipment", "materials", "commitment", "owner_cost", "professional_services", "other"}
# A synced commitment keeps Contract Company, Title, Status and Default Retainage (reference §12).
SENT_TO_ERP_LOCKS = ("vendor_id", "title", "status", "retainage_percent")


@dataclass
class Kind:
    table: str
    root: str  # body key of create/update, e.g. "project"
    scope: str  # company | project | holder | direct_cost
    webhook: str | None  # webhook resource_name, None when Procore has none (requisitions)
    serialize: Callable
    required: tuple[str, ...] = ()
    enums: dict[str, set] = field(default_factory=dict)
    money: tuple[str, ...] = ()
    filters: set[str] = field(default_factory=lambda: {"id", "updated_at", "created_at", "origin_id"})
    locked_when_synced: bool = True  # origin_id set ⇒ 422 on PATCH/DELETE (sync actions still write)
    locked_fields: tuple[str, ...] = ()  # when set, only these fields (and delete) are locked
    renames: dict[str, str] = field(default_factory=dict)  # write name → stored name
    soft_delete: bool = False
    parent_table: str | None = None
    holder_type: str | None = None
    paged: bool = True  # the spec documents page/per_page for this list
    query_filters: tuple[str, ...] = ()  # plain query params that filter (contract_id on packages, payments)


def serializer(fn, **fixed):
    return lambda state, row: fn(state, row, **fixed)


PROJECTS = Kind(
    "projects",
    "project",
    "company",
    "Projects",
    present.project,
    required=("name",),
    money=("total_value",),
    filters={"id", "updated_at", "created_at", "origin_id", "by_status", "synced"},
    locked_when_synced=False,
    renames={"erp_integrated": "is_erp_integrated"},
)
VENDORS = Kind(
    "vendors",
    "vendor",
    "company",
    "Company Vendors",
    present.vendor,
    required=("name",),
    filters={"id", "updated_at", "created_at", "origin_id", "search"},
    locked_when_synced=False,
    renames={"business_register_attributes": "business_register"},
)
SCC_LISTS = Kind(
    "standard_cost_code_lists",
    "standard_cost_code_list",
    "company",
    "Standard Cost Code Lists",
    present.plain,
    required=("name",),
    filters=set(),
    locked_when_synced=False,
)
SCCS = Kind(
    "standard_cost_codes",
    "standard_cost_code",
    "company",
    "Standard Cost Codes",
    present.plain,
    required=("code", "name"),
    filters={"origin_id", "id"},
)
LITS = Kind(
    "line_item_types",
    "line_item_type",
    "company",
    "Line Item Types",
    present.plain,
    required=("name", "code", "base_type"),
    enums={"base_type": BASE_TYPES},
    filters={"origin_id"},
    renames={"csv_import_code": "code"},
)
COST_CODES = Kind(
    "cost_codes",
    "cost_code",
    "project",
    "Cost Codes",
    present.cost_code,
    required=("code", "name"),
    filters={"origin_id", "id", "updated_at"},
)
WOCS = Kind(
    "work_order_contracts",
    "work_order_contract",
    "project",
    "Work Order Contracts",
    serializer(present.contract),
    required=("vendor_id",),
    enums={"status": WOC_STATUSES},
    filters={"id", "status", "created_at", "updated_at", "include_deleted", "origin_id", "vendor_id"},
    soft_delete=True,
    locked_fields=SENT_TO_ERP_LOCKS,
)
POCS = Kind(
    "purchase_order_contracts",
    "purchase_order_contract",
    "project",
    "Purchase Order Contracts",
    serializer(present.contract),
    required=("vendor_id",),
    enums={"status": POC_STATUSES},
    filters=WOCS.filters,
    soft_delete=True,
    locked_fields=SENT_TO_ERP_LOCKS,
)
WOC_LINES = Kind(
    "commitment_line_items",
    "line_item",
    "holder",
    "Work Order Contract Line Items",
    present.line_item,
    required=("amount",),
    money=("amount", "unit_cost"),
    filters={"id", "created_at", "updated_at", "cost_code_id", "line_item_type_id"},
    parent_table="work_order_contracts",
    holder_type="WorkOrderContract",
)
POC_LINES = Kind(
    "commitment_line_items",
    "line_item",
    "holder",
    "Purchase Order Contract Line Items",
    present.line_item,
    required=("amount",),
    money=("amount", "unit_cost"),
    filters=WOC_LINES.filters,
    parent_table="purchase_order_contracts",
    holder_type="PurchaseOrderContract",
)
PACKAGES = Kind(
    "change_order_packages",
    "change_order",
    "project",
    "Change Order Packages",
    serializer(present.change_order_package),
    enums={"status": CO_STATUSES},
    money=("grand_total",),
    filters={"id", "created_at", "updated_at", "include_deleted"},
    soft_delete=True,
    query_filters=("contract_id",),
)
CCOS = Kind(
    "commitment_change_orders",
    "change_order",
    "project",
    None,
    present.commitment_change_order,
    required=("contract_id",),
    enums={"status": CO_STATUSES},
    filters={"id", "updated_at", "status", "contract_id", "vendor_id"},
    locked_when_synced=False,
    paged=False,
)
REQUISITIONS = Kind(
    "requisitions",
    "requisition",
    "project",
    None,
    serializer(present.requisition),
    enums={"status": REQ_STATUSES},
    filters={"id", "commitment_id", "status", "created_at", "updated_at", "origin_id"},
)
PAYMENTS = Kind(
    "contract_payments",
    "contract_payment",
    "project",
    "Contract Payments",
    present.plain,
    required=("amount", "date"),
    money=("amount",),
    filters=set(),
    query_filters=("contract_id",),
)
DIRECT_COSTS = Kind(
    "direct_costs",
    "direct_cost",
    "project",
    "Direct Costs",
    serializer(present.direct_cost),
    required=("direct_cost_type",),
    enums={"status": DC_STATUSES, "direct_cost_type": DC_TYPES},
    filters={"id", "origin_id", "created_at", "updated_at"},
    soft_delete=True,
)
DC_LINES = Kind(
    "direct_cost_line_items",
    "line_item",
    "direct_cost",
    "Direct Cost Line Items",
    present.direct_cost_line,
    required=("amount",),
    money=("amount", "unit_cost"),
    filters={"id", "updated_at", "created_at"},
)
