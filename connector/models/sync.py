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
    """The binding of one Procore record to one Xero record, and where its export stands."""

    class State(models.TextChoices):
        READY = "ready", "Ready to export"
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
        REJECTED = "rejected", "Rejected"
        EXPORTING = "exporting", "Exporting"
        SYNCED = "synced", "Synced"
        FAILED = "failed", "Failed"
        ARCHIVED = "archived", "Archived"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    procore_id = models.CharField(max_length=64, blank=True)
    xero_id = models.CharField(max_length=64, blank=True)
    label = models.CharField(max_length=255, blank=True, help_text="What people call the record.")
    reference = models.CharField(max_length=255, blank=True,
                                 help_text="Our number on the remote side (item code, PO number, ContactNumber…).")
    state = models.CharField(max_length=32, choices=State.choices, default=State.READY, db_index=True)
    idempotency_key = models.CharField(max_length=128, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True, help_text="Hash of what was last written.")
    last_error = models.TextField(blank=True)
    hint = models.TextField(blank=True)
    rejected_reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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
                   models.Index(fields=["connection", "kind", "xero_id"], name="link_by_xero_id")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.label or self.procore_id or self.xero_id}"


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

    class Meta:
        app_label = "connector"
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.get_trigger_display()} · {self.started_at:%Y-%m-%d %H:%M}"


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
