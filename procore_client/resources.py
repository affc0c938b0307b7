"""Thin helpers per Procore resource (paths, scope params and body root keys of procore-endpoints.json).

List helpers return every item; pass `pages=True` to get an iterator of `Page`s instead (advance a cursor per
page). `filters(...)` builds the `filters[...]` query.
"""

from __future__ import annotations

V0, V1 = "/rest/v1.0", "/rest/v1.1"
COMMITMENTS = {
    "work_order_contracts": "work_order_contract",
    "purchase_order_contracts": "purchase_order_contract",
}


def filters(
    updated_between: tuple[str, str] | None = None,
    origin_id: str | None = None,
    ids=None,
    status: str | None = None,
    **others,
) -> dict:
    """`updated_between=("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")` → filters[updated_at]=a...b."""
    query: dict = {}
    if updated_between:
        query["filters[updated_at]"] = f"{updated_between[0]}...{updated_between[1]}"
    if origin_id is not None:
        query["filters[origin_id]"] = origin_id
    if ids:
        query["filters[id][]"] = list(ids)
    if status is not None:
        query["filters[status]"] = status
    for name, value in others.items():
        query[f"filters[{name}]"] = value
    return query


class ResourcesMixin:
    def _list(self, path, params, pages):
        return self.iter_pages(path, params) if pages else self.list_all(path, params)

    def _company(self, **extra) -> dict:
        return {"company_id": self.company_id, **extra}

    # -- company -----------------------------------------------------------------------------------------
    def companies(self):
        return self.list_all(f"{V0}/companies")

    def me(self):
        return self.get(f"{V0}/me")

    def projects(self, query: dict | None = None, pages: bool = False):
        return self._list(f"{V1}/projects", self._company(**(query or {})), pages)

    def project(self, project_id: int):
        return self.get(f"{V0}/projects/{project_id}", self._company())

    def create_project(self, attrs: dict):
        return self.post(f"{V0}/projects", {"company_id": self.company_id, "project": attrs})

    def update_project(self, project_id: int, attrs: dict):
        return self.patch(f"{V0}/projects/{project_id}", {"company_id": self.company_id, "project": attrs})

    def sync_projects(self, updates: list[dict]):
        return self.sync(f"{V0}/projects/sync", updates, {"company_id": self.company_id})

    def vendors(self, query: dict | None = None, pages: bool = False):
        return self._list(f"{V0}/vendors", self._company(**(query or {})), pages)

    def vendor(self, vendor_id: int):
        return self.get(f"{V0}/vendors/{vendor_id}", self._company())

    def create_vendor(self, attrs: dict):
        return self.post(f"{V0}/vendors", {"company_id": self.company_id, "vendor": attrs})

    def update_vendor(self, vendor_id: int, attrs: dict):
        return self.patch(f"{V0}/vendors/{vendor_id}", {"company_id": self.company_id, "vendor": attrs})

    def sync_vendors(self, updates: list[dict]):
        return self.sync(f"{V0}/vendors/sync", updates, {"company_id": self.company_id})

    def standard_cost_code_lists(self):
        return self.list_all(f"{V0}/standard_cost_code_lists", self._company())

    def standard_cost_codes(self, list_id: int, query: dict | None = None, pages: bool = False):
        return self._list(
            f"{V0}/standard_cost_codes",
            self._company(standard_cost_code_list_id=list_id, **(query or {})),
            pages,
        )

    def sync_standard_cost_codes(self, list_id: int, updates: list[dict]):
        return self.sync(
            f"{V0}/standard_cost_codes/sync",
            updates,
            {"company_id": self.company_id, "standard_cost_code_list_id": list_id},
        )

    def line_item_types(self, query: dict | None = None):
        return self.list_all(f"{V0}/line_item_types", self._company(**(query or {})))

    def sync_line_item_types(self, updates: list[dict]):
        return self.sync(f"{V0}/line_item_types/sync", updates, {"company_id": self.company_id})

    # -- project -----------------------------------------------------------------------------------------
    def cost_codes(self, project_id: int, query: dict | None = None, pages: bool = False):
        return self._list(f"{V0}/cost_codes", {"project_id": project_id, **(query or {})}, pages)

    def sync_cost_codes(self, project_id: int, updates: list[dict]):
        return self.sync(f"{V0}/cost_codes/sync", updates, params={"project_id": project_id})

    def commitments(self, kind: str, project_id: int, query: dict | None = None, pages: bool = False):
        return self._list(f"{V0}/{_kind(kind)}", {"project_id": project_id, **(query or {})}, pages)

    def commitment(self, kind: str, project_id: int, contract_id: int):
        return self.get(f"{V0}/{_kind(kind)}/{contract_id}", {"project_id": project_id})

    def create_commitment(self, kind: str, project_id: int, attrs: dict):
        return self.post(f"{V0}/{_kind(kind)}", {"project_id": project_id, COMMITMENTS[kind]: attrs})

    def update_commitment(self, kind: str, project_id: int, contract_id: int, attrs: dict):
        return self.patch(
            f"{V0}/{_kind(kind)}/{contract_id}", {"project_id": project_id, COMMITMENTS[kind]: attrs}
        )

    def sync_commitments(self, kind: str, project_id: int, updates: list[dict]):
        return self.sync(f"{V0}/{_kind(kind)}/sync", updates, {"project_id": project_id})

    def stamp_commitments(self, kind: str, project_id: int, stamps: list[dict]):
        """Mark commitments as in the ERP: each stamp {id, origin_id, origin_code?, origin_data?}; only those
        fields are sent, so nothing a synced commitment locks is touched. Per-item results (SyncResult)."""
        fields = ("id", "origin_id", "origin_code", "origin_data")
        return self.sync_commitments(
            kind, project_id, [{k: s[k] for k in fields if s.get(k) is not None} for s in stamps]
        )

    def commitment_line_items(self, kind: str, project_id: int, contract_id: int, pages: bool = False):
        return self._list(f"{V0}/{_kind(kind)}/{contract_id}/line_items", {"project_id": project_id}, pages)

    def create_commitment_line_item(self, kind: str, project_id: int, contract_id: int, attrs: dict):
        return self.post(
            f"{V0}/{_kind(kind)}/{contract_id}/line_items", {"project_id": project_id, "line_item": attrs}
        )

    def sync_commitment_line_items(self, kind: str, project_id: int, contract_id: int, updates: list[dict]):
        return self.sync(
            f"{V0}/{_kind(kind)}/{contract_id}/line_items/sync", updates, params={"project_id": project_id}
        )

    def change_order_packages(
        self, project_id: int, contract_id: int | None = None, query: dict | None = None
    ):
        params = {
            "project_id": project_id,
            **({"contract_id": contract_id} if contract_id else {}),
            **(query or {}),
        }
        return self.list_all(f"{V0}/change_order_packages", params)

    def change_order_package(self, project_id: int, package_id: int, contract_id: int | None = None):
        """One package with its `line_items` (the list leaves them out). Each line names its cost code and
        line item type — not the commitment line it changes; the contract serves no bulk read of lines."""
        params = {"project_id": project_id, **({"contract_id": contract_id} if contract_id else {})}
        return self.get(f"{V0}/change_order_packages/{package_id}", params)

    def stamp_change_order_package(
        self, project_id: int, package_id: int, origin_id: str, origin_code: str | None = None,
        origin_data: str | None = None,
    ):
        """Mark a package as in the ERP (origin_id unique per company); Procore then locks it."""
        attrs = {"origin_id": origin_id, "origin_code": origin_code, "origin_data": origin_data}
        return self.update_change_order_package(
            project_id, package_id, {k: v for k, v in attrs.items() if v is not None}
        )

    def create_change_order_package(self, project_id: int, contract_id: int, attrs: dict):
        return self.post(
            f"{V0}/change_order_packages",
            {"project_id": project_id, "contract_id": contract_id, "change_order": attrs},
        )

    def update_change_order_package(self, project_id: int, package_id: int, attrs: dict):
        return self.patch(
            f"{V0}/change_order_packages/{package_id}", {"project_id": project_id, "change_order": attrs}
        )

    def commitment_change_orders(self, project_id: int, query: dict | None = None):
        return self.get(
            f"{V0}/projects/{project_id}/commitment_change_orders", query or None
        )  # not paginated

    def commitment_change_order(self, project_id: int, cco_id: int):
        return self.get(f"{V0}/projects/{project_id}/commitment_change_orders/{cco_id}")

    def requisitions(
        self, project_id: int, query: dict | None = None, view: str = "items", pages: bool = False
    ):
        return self._list(
            f"{V1}/requisitions", {"project_id": project_id, "view": view, **(query or {})}, pages
        )

    def requisition(self, project_id: int, requisition_id: int, view: str = "items"):
        return self.get(f"{V1}/requisitions/{requisition_id}", {"project_id": project_id, "view": view})

    def create_requisition(self, project_id: int, commitment_id: int, attrs: dict):
        return self.post(
            f"{V1}/requisitions",
            {"project_id": project_id, "commitment_id": commitment_id, "requisition": attrs},
        )

    def update_requisition(self, project_id: int, commitment_id: int, requisition_id: int, attrs: dict):
        return self.patch(
            f"{V1}/requisitions/{requisition_id}",
            {"project_id": project_id, "commitment_id": commitment_id, "requisition": attrs},
        )

    def stamp_requisition(
        self, project_id: int, commitment_id: int, requisition_id: int, origin_id: str,
        origin_data: str | None = None,
    ):
        """Mark a subcontractor invoice as in the ERP. Procore's invoice has no origin_code; once stamped it
        cannot be edited through the API any more."""
        attrs = {"origin_id": origin_id, **({"origin_data": origin_data} if origin_data is not None else {})}
        return self.update_requisition(project_id, commitment_id, requisition_id, attrs)

    def requisition_attachments(self, project_id: int, requisition_id: int) -> list[dict]:
        """The invoice's files (the pay application PDF): [{id, filename, content_type, url}]; the list
        view carries them too. Fetch one with `download_attachment`."""
        return self.requisition(project_id, requisition_id, view="default").get("attachments") or []

    def contract_payments(self, project_id: int, contract_id: int):
        return self.list_all(
            f"{V0}/contract_payments", {"project_id": project_id, "contract_id": contract_id}
        )

    def create_contract_payment(self, project_id: int, contract_id: int, attrs: dict):
        return self.post(
            f"{V0}/contract_payments",
            {"project_id": project_id, "contract_id": contract_id, "contract_payment": attrs},
        )

    def direct_costs(self, project_id: int, query: dict | None = None, pages: bool = False):
        return self._list(f"{V1}/projects/{project_id}/direct_costs", query, pages)

    def direct_cost(self, project_id: int, direct_cost_id: int):
        return self.get(f"{V1}/projects/{project_id}/direct_costs/{direct_cost_id}")

    def create_direct_cost(self, project_id: int, attrs: dict):
        return self.post(f"{V1}/projects/{project_id}/direct_costs", {"direct_cost": attrs})

    def sync_direct_costs(self, project_id: int, updates: list[dict]):
        return self.sync(f"{V0}/projects/{project_id}/direct_costs/sync", updates)

    def direct_cost_line_items(self, project_id: int, query: dict | None = None):
        return self.list_all(f"{V0}/projects/{project_id}/direct_costs/line_items", query)

    def sync_direct_cost_line_items(self, project_id: int, updates: list[dict]):
        return self.sync(f"{V0}/projects/{project_id}/direct_costs/line_items/sync", updates)

    # -- webhooks ----------------------------------------------------------------------------------------
    def create_hook(
        self,
        destination_url: str,
        destination_headers: dict | None = None,
        namespace: str | None = None,
        project_id: int | None = None,
        api_version: str = "v2",
    ):
        """`api_version` is the payload Procore posts: "v2" (legacy), "v3" or "v4.0" (string ids, `reason`)."""
        scope = {"project_id": project_id} if project_id else {"company_id": self.company_id}
        hook = {
            "api_version": api_version,
            "destination_url": destination_url,
            "destination_headers": destination_headers or {},
            **({"namespace": namespace} if namespace else {}),
        }
        return self.post(f"{V0}/webhooks/hooks", {**scope, "hook": hook})

    def hooks(self, namespace: str | None = None):
        return self.get(
            f"{V0}/webhooks/hooks", self._company(**({"namespace": namespace} if namespace else {}))
        )

    def delete_hook(self, hook_id: int):
        return self.delete(f"{V0}/webhooks/hooks/{hook_id}", self._company())

    def create_trigger(self, hook_id: int, resource_name: str, event_type: str):
        return self.post(
            f"{V0}/webhooks/hooks/{hook_id}/triggers",
            {
                "company_id": self.company_id,
                "api_version": "v2",
                "trigger": {"resource_name": resource_name, "event_type": event_type},
            },
        )

    def triggers(self, hook_id: int):
        return self.get(f"{V0}/webhooks/hooks/{hook_id}/triggers", self._company())

    def deliveries(self, hook_id: int, status: str | None = None):
        return self.get(
            f"{V0}/webhooks/hooks/{hook_id}/deliveries",
            self._company(**({"filters[status]": status} if status else {})),
        )


def _kind(kind: str) -> str:
    if kind not in COMMITMENTS:
        raise ValueError(f"commitment kind must be one of {sorted(COMMITMENTS)}")
    return kind
