"""The backend: one Procore company joined to one Xero organisation, and its settings."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from ..fields import EncryptedTextField


class Connection(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending (finish connecting)"
        ACTIVE = "active", "Active"
        NEEDS_REAUTHORISATION = "needs_reauthorisation", "Needs re-authorisation"
        DISCONNECTED = "disconnected", "Disconnected"

    procore_company_id = models.BigIntegerField(null=True, blank=True)
    procore_company_name = models.CharField(max_length=255, blank=True)
    xero_tenant_id = models.CharField(max_length=64, blank=True)
    xero_organisation_name = models.CharField(max_length=255, blank=True)
    xero_country = models.CharField(max_length=2, blank=True, help_text="Organisation country code (US, CA).")
    xero_plan = models.CharField(max_length=32, blank=True, help_text="Xero organisation class (plan).")

    status = models.CharField(max_length=32, choices=Status.choices, default=Status.PENDING, db_index=True)
    status_reason = models.TextField(blank=True, help_text="Why the connection is in its status, in plain words.")
    connected_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When both systems were joined. Procore projects created before this are not exported "
                  "automatically; link them by hand.",
    )
    disconnected_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    # Procore webhook deliveries carry this secret in a header we registered (destination_headers).
    webhook_secret = EncryptedTextField(blank=True)
    # Xero's daily call limit was reached: syncs wait until then (the admin shows it).
    parked_until = models.DateTimeField(null=True, blank=True)
    parked_reason = models.CharField(max_length=255, blank=True)
    procore_hook_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        app_label = "connector"
        ordering = ["procore_company_name", "id"]
        constraints = [
            # One Xero organisation per Procore company and vice versa, among live connections;
            # disconnected ones stay as history.
            models.UniqueConstraint(
                fields=["procore_company_id"], condition=Q(procore_company_id__isnull=False) & ~Q(status="disconnected"),
                name="one_live_connection_per_procore_company",
            ),
            models.UniqueConstraint(
                fields=["xero_tenant_id"], condition=~Q(xero_tenant_id="") & ~Q(status="disconnected"),
                name="one_live_connection_per_xero_organisation",
            ),
        ]
        permissions = [
            ("connect_connection", "Can connect, re-authorise and disconnect Procore and Xero"),
            ("approve_exports", "Can accept or reject exports in the approval queue"),
            ("run_sync", "Can run and retry syncs"),
            ("view_sync_log", "Can read sync runs and their records"),
        ]

    def __str__(self):
        left = self.procore_company_name or "Procore (not connected)"
        right = self.xero_organisation_name or "Xero (not connected)"
        return f"{left} ⇄ {right}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def bill_payments_supported(self) -> bool:
        """Procore's Xero connector syncs bill payments for US organisations only."""
        return self.xero_country == "US"


class ConnectionSettings(models.Model):
    """What a company admin decides per connection (edited in the admin, validated against Xero)."""

    class DocumentStatus(models.TextChoices):
        DRAFT = "DRAFT", "Draft"
        SUBMITTED = "SUBMITTED", "Awaiting approval (submitted)"
        AUTHORISED = "AUTHORISED", "Approved (authorised)"

    class Cadence(models.TextChoices):
        HOURLY = "hourly", "Every hour"
        TWO_HOURS = "2h", "Every 2 hours"
        FOUR_HOURS = "4h", "Every 4 hours"
        DAILY = "daily", "Daily"
        NEVER = "never", "Never"

    class VendorOwner(models.TextChoices):
        PROCORE = "procore", "Procore (changes flow to Xero)"
        XERO = "xero", "Xero (changes flow to Procore)"

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="settings")

    tracking_category_id = models.CharField(max_length=64, blank=True)
    tracking_category_name = models.CharField(max_length=100, blank=True, default="Job")
    purchase_account_code = models.CharField(max_length=32, blank=True)
    tax_type = models.CharField(max_length=64, blank=True)
    po_status = models.CharField(
        max_length=16, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT,
        help_text="For purchase orders created from now on; those already in Xero keep the status they have there.")
    bill_status = models.CharField(
        max_length=16, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT,
        help_text="For bills created from now on; those already in Xero keep the status they have there (Xero "
                  "never takes an approved bill back to draft). Approved needs a default purchase account.")
    use_contract_number_as_po_number = models.BooleanField(default=True)
    negative_invoices_as_credit_notes = models.BooleanField(
        "Export negative invoices as supplier credit notes", default=False,
        help_text="A negative subcontractor invoice becomes a Xero supplier credit note allocated to the latest "
                  "approved bill of its commitment. Off: negative invoices are refused, with the reason.")
    attach_invoice_backup = models.BooleanField(
        "Attach the invoice's backup to its bill", default=True,
        help_text="The pay application and other files of a subcontractor invoice go onto its new bill in Xero. "
                  "Each file is one Xero call: files wait for a later day when Xero's daily call limit runs low.")
    first_open_day_for_locked_bills = models.BooleanField(
        "Date back-dated bills on the first open day", default=False,
        help_text="A bill dated in a period locked in Xero is dated the day after the lock date (the Procore date "
                  "is written on the bill). Off: such a bill waits, with the reason, until the lock date moves.")

    # Projects always need an accountant's acceptance (a new job in Xero is the accountant's call); the others
    # default to on, as in Procore.
    approve_commitments = models.BooleanField(default=True)
    approve_change_orders = models.BooleanField(default=True)
    approve_invoices = models.BooleanField(default=True)
    approve_companies = models.BooleanField(default=True)

    vendor_owner = models.CharField(max_length=16, choices=VendorOwner.choices, default=VendorOwner.PROCORE)

    company_cadence = models.CharField(max_length=8, choices=Cadence.choices, default=Cadence.HOURLY,
                                       help_text="Cost codes, vendors/contacts, tracking options.")
    project_cadence = models.CharField(max_length=8, choices=Cadence.choices, default=Cadence.TWO_HOURS,
                                       help_text="Commitments, change orders, invoices, job costs.")
    payments_cadence = models.CharField(max_length=8, choices=Cadence.choices, default=Cadence.NEVER,
                                        help_text="Bill payments → Procore payments issued (US organisations).")
    payments_enabled_at = models.DateTimeField(
        null=True, blank=True, help_text="Only bill payments dated on or after this are synced.")

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "connector"
        verbose_name_plural = "connection settings"

    def __str__(self):
        return f"Settings of {self.connection}"
