"""Connection settings, validated against what the Xero organisation really has."""

from __future__ import annotations

import logging

from django import forms
from django.core.exceptions import ValidationError

from .models import ConnectionSettings
from .selectors import xero_reference_data
from .services.projects import MAX_ACTIVE_OPTIONS

logger = logging.getLogger(__name__)

CREATE_JOB = "__create__"
MAX_ACTIVE_CATEGORIES = 2


def room_words(name: str, used: int) -> str:
    """The room left in the projects' category: Xero keeps at most 100 active options in one."""
    left = max(0, MAX_ACTIVE_OPTIONS - used)
    words = f"“{name}” has {used} of Xero's {MAX_ACTIVE_OPTIONS} active options in use: room for {left} more projects."
    if left <= 10:
        words += (" Use the “Retire closed projects” action on the connections list to archive the options of "
                  "inactive projects.")
    return words


class ConnectionSettingsForm(forms.ModelForm):
    connection = None  # set by the admin inline

    tracking_category_id = forms.ChoiceField(
        label="Tracking category for projects", required=False,
        help_text="Each Procore project becomes an option of this category. Xero allows two active categories.",
    )
    purchase_account_code = forms.ChoiceField(label="Default purchase account", required=False)
    tax_type = forms.ChoiceField(label="Default tax rate", required=False)
    confirm_exported_change = forms.BooleanField(
        label="Change it for documents already in Xero too", required=False,
        help_text="Asked only when a change to the tracking category or the bill status affects documents the "
                  "connector has already written to Xero.")

    class Meta:
        model = ConnectionSettings
        fields = "__all__"
        labels = {"po_status": "Purchase order status in Xero", "bill_status": "Bill status in Xero",
                  "use_contract_number_as_po_number": "Use the commitment's number as the PO number",
                  "vendor_owner": "Company details follow", "company_cadence": "Company-level sync",
                  "project_cadence": "Project-level sync", "payments_cadence": "Bill payments sync"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reference = {"tracking_categories": [], "accounts": [], "tax_rates": [], "error": None}
        if self.connection is not None and self.connection.is_active:
            self.reference = xero_reference_data(self.connection)
        current = self.instance
        active = [c for c in self.reference["tracking_categories"] if c["status"] == "ACTIVE"]
        categories = [(c["id"], c["name"]) for c in active]
        if not any(c["name"].lower() == "job" for c in active):
            categories.append((CREATE_JOB, "Create a new category “Job”"))
        self.fields["tracking_category_id"].choices = [("", "—")] + categories + self._keep(
            current.tracking_category_id, current.tracking_category_name, categories)
        accounts = [(a["code"], f"{a['code']} – {a['name']}") for a in self.reference["accounts"]]
        self.fields["purchase_account_code"].choices = [("", "—")] + accounts + self._keep(
            current.purchase_account_code, current.purchase_account_code, accounts)
        taxes = [(t["type"], t["name"]) for t in self.reference["tax_rates"]]
        self.fields["tax_type"].choices = [("", "—")] + taxes + self._keep(current.tax_type, current.tax_type, taxes)
        chosen = next((c for c in active if c["id"] == current.tracking_category_id), None)
        if chosen is not None and "active_options" in chosen:
            self.fields["tracking_category_id"].help_text += " " + room_words(chosen["name"], chosen["active_options"])
        if self.reference["error"]:  # the detail is in the log; people read what it means for them
            self.fields["tracking_category_id"].help_text += (" Xero could not be read just now, so only the saved "
                                                              "choices are listed.")

    @staticmethod
    def _keep(value, label, choices):
        """Keep a saved value selectable even when Xero could not be read."""
        return [(value, label)] if value and value not in {c[0] for c in choices} else []

    def clean_tracking_category_id(self):
        value = self.cleaned_data["tracking_category_id"]
        if value == CREATE_JOB:
            active = [c for c in self.reference["tracking_categories"] if c["status"] == "ACTIVE"]
            if len(active) >= MAX_ACTIVE_CATEGORIES:
                names = ", ".join(c["name"] for c in active)
                raise ValidationError(
                    f"Xero allows {MAX_ACTIVE_CATEGORIES} active tracking categories and this organisation "
                    f"already has them ({names}). Pick one of them, or archive one in Xero first."
                )
        return value

    def clean(self):
        cleaned = super().clean()
        self._clean_account(cleaned)
        if self.instance.pk is None or cleaned.get("confirm_exported_change"):
            return cleaned
        from .selectors_job_costs import exported_documents

        warnings = []
        tracking = cleaned.get("tracking_category_id")
        if tracking and tracking != self.instance.tracking_category_id and self.instance.tracking_category_id:
            count = exported_documents(self.instance.connection_id)
            if count:
                warnings.append(f"{count} purchase orders and bills in Xero are tagged with the projects' options of "
                                f"the category “{self.instance.tracking_category_name}”; the next update of each "
                                "re-tags it with the new category's option, and reports by the old category stop "
                                "showing them.")
        status = cleaned.get("bill_status")
        if status and status != self.instance.bill_status:
            count = exported_documents(self.instance.connection_id, kinds=("invoice",))
            if count:
                warnings.append(f"{count} bills are already in Xero as {self.instance.get_bill_status_display()}; "
                                "they keep that status (Xero does not let an approved bill go back to draft), and "
                                "only new bills get the new one.")
        if warnings:
            raise ValidationError(" ".join(warnings) + " Tick “Change it for documents already in Xero too” and "
                                  "save again to go ahead.")
        return cleaned

    def clean_payments_cadence(self):
        value = self.cleaned_data["payments_cadence"]
        if value != ConnectionSettings.Cadence.NEVER and self.connection and not self.connection.bill_payments_supported:
            raise ValidationError("Bill payments sync only for US Xero organisations; this one is "
                                  f"in {self.connection.xero_country or 'another country'}.")
        return value

    def _clean_account(self, cleaned) -> None:
        # Xero needs an account on every line of an approved bill (Xero's line items page); items carry it only
        # when they were made with a purchase account.
        if (cleaned.get("bill_status") == ConnectionSettings.DocumentStatus.AUTHORISED
                and not cleaned.get("purchase_account_code")):
            self.add_error("bill_status", "Approved bills need an account on every line: choose a default "
                                          "purchase account first (Xero refuses an approved bill without one).")

    def save(self, commit=True):
        from .services.settings import connection_settings_apply

        instance = super().save(commit=False)
        chosen = self.cleaned_data.get("tracking_category_id")
        names = {c["id"]: c["name"] for c in self.reference["tracking_categories"]}
        connection_settings_apply(settings_obj=instance, tracking_choice=chosen,
                                  tracking_name=names.get(chosen, instance.tracking_category_name),
                                  create_marker=CREATE_JOB, commit=commit)
        return instance
