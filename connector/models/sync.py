"""Links (local id ⇄ remote id per connection and kind), sync runs and their per-record log."""

from django.db import models
from django.db.models import Q

from .connection import Connection


class Kind(models.TextChoices):
    COST_CODE = "cost_code", "Cost code → Item"
    PROJECT = "project", "Project ⇄ Tracking option"
    VENDOR = "vendor", "Company ⇄ Contact"
    COMMITMENT = "commitment", "Commitment → Purchase order"
    CHANGE_ORDER = "change_order", "Change order → PO lines"
    INVOICE = "invoice", "Subcontractor invoice → Bill"
    JOB_COST = "job_cost", "Xero spend → Direct cost"
    PAYMENT = "payment", "Bill payment → Payment issued"


class Link(models.Model):
    """The binding of one Procore record to one Xero record, and where its export stands.

    Who may write what: the state moves only through `connector.services.records.record_transition`
    (a guarded, conditional update); `approved_fingerprint` and `rejected_reason` are written only by a
    person's decision (connector.services.approvals); the snapshots, summary and `engine_data` only by the
    engine. Each writer saves only the fields it changed, so nobody's stale copy reverts another's.
    """

    class State(models.TextChoices):
        READY = "ready", "Ready to export"
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
        REJECTED = "rejected", "Rejected"
        WAITING = "waiting", "Waiting for another record"
        EXPORTING = "exporting", "Exporting"
        SYNCED = "synced", "Synced"
        FAILED = "failed", "Failed"
        ARCHIVED = "archived", "Archived"

    class Requested(models.TextChoices):
        NOTHING = "", "—"
        EXPORT = "export", "Export to Xero"
        IMPORT = "import", "Import to Procore"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    procore_id = models.CharField(max_length=64, blank=True)
    xero_id = models.CharField(max_length=64, blank=True)
    label = models.CharField(max_length=255, blank=True, help_text="What people call the record.")
    reference = models.CharField(
        max_length=255, blank=True,
        help_text="Our number on the remote side (item code, PO reference, bill URL…), stored with the intent "
                  "before the write: a lost answer is found again by what was sent, not by today's data.")
    state = models.CharField(max_length=32, choices=State.choices, default=State.READY, db_index=True)
    version = models.PositiveIntegerField(default=0, help_text="Bumped by every state change (optimistic lock).")
    idempotency_key = models.CharField(max_length=128, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True, help_text="Hash of what was last written.")
    last_error = models.TextField(blank=True)
    hint = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Where the record is read again: its Procore project and list (financial records).
    project_id = models.CharField(max_length=32, blank=True)
    source_list = models.CharField(max_length=64, blank=True)
    # The record it belongs to in Procore (an invoice's or change order's commitment).
    parent_id = models.CharField(max_length=64, blank=True)
    # A waiting record: the link whose sync releases it.
    waiting_for_kind = models.CharField(max_length=32, choices=Kind.choices, blank=True)
    waiting_for_id = models.CharField(max_length=64, blank=True)

    # What an accountant decides on, as the engine last read it from Procore.
    content_fingerprint = models.CharField(max_length=64, blank=True)
    document_number = models.CharField(max_length=255, blank=True)
    document_date = models.DateField(null=True, blank=True)
    vendor_name = models.CharField(max_length=255, blank=True)
    project_name = models.CharField(max_length=255, blank=True)
    amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    retention = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True,
                                    help_text="Retainage held on this invoice.")
    retainage_percent = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)

    # A person's decision (written only by connector.services.approvals).
    approved_fingerprint = models.CharField(
        max_length=64, blank=True, help_text="The content an accountant accepted; an edit in Procore since then "
                                             "sends the record back to the approval queue.")
    rejected_reason = models.TextField(blank=True)
    requested = models.CharField(max_length=16, choices=Requested.choices, blank=True, default="",
                                 help_text="What a person asked for an unlinked company or contact.")
    # The content the remote side refused: not sent again until it changes or a person retries.
    refused_fingerprint = models.CharField(max_length=64, blank=True)

    # As Xero keeps it (read back after writes).
    remote_status = models.CharField(max_length=32, blank=True)
    remote_total = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)

    # Snapshots of each side, for matching and for retries from a stored copy; engine bookkeeping that
    # people never see or edit (e.g. a stamp still to write, a payment's target).
    procore_snapshot = models.JSONField(default=dict, blank=True)
    xero_snapshot = models.JSONField(default=dict, blank=True)
    engine_data = models.JSONField(default=dict, blank=True)

    class Meta:
        app_label = "connector"
        verbose_name = "record"
        verbose_name_plural = "records (approval queue)"
        ordering = ["kind", "label"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "kind", "procore_id"], condition=~Q(procore_id=""),
                                    name="one_link_per_procore_record"),
            models.UniqueConstraint(fields=["connection", "kind", "xero_id"], condition=~Q(xero_id=""),
                                    name="one_link_per_xero_record"),
        ]
        # The unique constraints above are partial indexes, which SQLite's planner cannot use for
        # `procore_id = …` (it does not see that this implies `procore_id <> ''`): plain indexes for lookups.
        indexes = [models.Index(fields=["connection", "kind", "state"]),
                   models.Index(fields=["connection", "kind", "procore_id"], name="link_by_procore_id"),
                   models.Index(fields=["connection", "kind", "xero_id"], name="link_by_xero_id"),
                   models.Index(fields=["connection", "kind", "parent_id"], name="link_by_parent")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.label or self.procore_id or self.xero_id}"

    @property
    def needs_reapproval(self) -> bool:
        """Accepted once, changed in Procore since."""
        return bool(self.approved_fingerprint) and self.approved_fingerprint != self.content_fingerprint


class LinkLine(models.Model):
    """One line of a linked document: the Procore line, the Xero line it became, and its item code.

    Commitments keep each commitment line's LineItemID (a PO update resends it, so Xero keeps the line) and item
    code (change orders and bills need it); change orders keep the lines they appended; job costs the Procore
    direct cost line of each Xero line."""

    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="lines")
    procore_line_id = models.CharField(max_length=128)
    xero_line_id = models.CharField(max_length=128, blank=True)
    item_code = models.CharField(max_length=64, blank=True)
    position = models.PositiveIntegerField(default=0)
    # What the line is worth as written (net of tax): the job cost report sums it per cost code × cost type.
    amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)

    class Meta:
        app_label = "connector"
        ordering = ["link", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["link", "procore_line_id"], name="one_line_per_procore_line")]

    def __str__(self):
        return f"{self.procore_line_id} → {self.xero_line_id or '—'}"


class SyncRun(models.Model):
    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Sync now"
        WEBHOOK = "webhook", "Webhook"
        RETRY = "retry", "Retry"

    class Direction(models.TextChoices):
        EXPORT = "export", "Procore → Xero"
        IMPORT = "import", "Xero → Procore"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Finished with failures"
        FAILED = "failed", "Failed"
        PARKED = "parked", "Paused (rate limit)"
        PAUSED = "paused", "Paused — continues by itself"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="sync_runs")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    direction = models.CharField(max_length=16, choices=Direction.choices)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    linked = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0, help_text="Records selected so far (progress).")
    # A run stopped by the rate budget or the task's time limit goes on in a later task, in this same row.
    resume_at = models.DateTimeField(null=True, blank=True, help_text="When a paused run goes on.")
    tasks = models.PositiveIntegerField(default=1, help_text="Worker tasks this run has taken so far.")
    # Touched while the run works: a "running" run whose heartbeat is old lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "connector"
        ordering = ["-started_at"]

    def __str__(self):
        trigger = "Preview" if self.dry_run else self.get_trigger_display()
        return f"{self.get_kind_display()} · {trigger} · {self.started_at:%Y-%m-%d %H:%M}"


class SyncRecord(models.Model):
    """One record touched by a run: what happened to it, in words an accountant understands."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        LINKED = "linked", "Linked"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"
        DELETED = "deleted", "Removed"

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="records")
    link = models.ForeignKey(Link, null=True, blank=True, on_delete=models.SET_NULL, related_name="records")
    action = models.CharField(max_length=16, choices=Action.choices)
    label = models.CharField(max_length=255, blank=True)
    procore_id = models.CharField(max_length=64, blank=True)
    xero_id = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    hint = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "connector"
        ordering = ["id"]
        indexes = [models.Index(fields=["run", "action"])]

    def __str__(self):
        return f"{self.get_action_display()}: {self.label or self.procore_id or self.xero_id or 'a record'}"


class SyncCursor(models.Model):
    """Where the next incremental read starts, saved after every page so a crash resumes there."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="cursors")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    source = models.CharField(max_length=64, default="", blank=True, help_text="Which remote listing.")
    value = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "connector"
        constraints = [models.UniqueConstraint(fields=["connection", "kind", "source"], name="one_cursor")]
