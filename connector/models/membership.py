"""Who belongs to which connection, in which role, and what people did (the audit log)."""

from django.conf import settings
from django.db import models

from .connection import Connection


class Membership(models.Model):
    """A person's role on one connection (one Procore company ⇄ one Xero organisation). Superusers see all."""

    class Role(models.TextChoices):
        COMPANY_ADMIN = "company_admin", "Company admin"
        ACCOUNTANT = "accountant", "Accountant"
        VIEWER = "viewer", "Viewer"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")

    class Meta:
        app_label = "connector"
        constraints = [models.UniqueConstraint(fields=["connection", "user"], name="one_role_per_connection")]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} of {self.connection}"


class AuditEntry(models.Model):
    """One thing a person did (never edited): who, when, what, on which records."""

    class Action(models.TextChoices):
        SYNC_NOW = "sync_now", "Sync now"
        PREVIEW = "preview", "Preview"
        ACCEPT = "accept", "Accept"
        REJECT = "reject", "Reject"
        RESEND = "resend", "Re-send"
        LINK = "link", "Link"
        UNLINK = "unlink", "Unlink"
        EXPORT = "export", "Export request"
        IMPORT = "import", "Import request"
        ARCHIVE = "archive", "Archive"
        SETTINGS = "settings", "Settings change"
        JOB_COSTS = "job_costs", "Job cost settings"
        CONNECT = "connect", "Connect"
        REAUTHORISE = "reauthorise", "Re-authorise"
        DISCONNECT = "disconnect", "Disconnect"
        ROTATE_SECRET = "rotate_secret", "Rotate webhook secret"
        MEMBER_ADDED = "member_added", "Person added"
        MEMBER_REMOVED = "member_removed", "Person removed"

    connection = models.ForeignKey(Connection, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="audit_entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    username = models.CharField(max_length=150, blank=True, help_text="Kept if the user is removed later.")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    summary = models.CharField(max_length=500, help_text="What was done, in words.")
    record_count = models.PositiveIntegerField(default=0)
    records = models.TextField(blank=True, help_text="The records acted on (labels), when any.")

    class Meta:
        app_label = "connector"
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit log"

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or 'someone'}: {self.summary}"
