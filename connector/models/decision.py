"""What people decided about a record, kept as history: who, when, what, why, and on which content."""

from django.conf import settings
from django.db import models

from .connection import Connection
from .sync import Kind, Link


class Decision(models.Model):
    class Verdict(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        RESENT = "resent", "Re-sent"
        EXPORT_ASKED = "export_asked", "Asked to export"
        IMPORT_ASKED = "import_asked", "Asked to import"
        LINKED = "linked", "Linked by hand"
        UNLINKED = "unlinked", "Unlinked"
        ARCHIVED = "archived", "Archived"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="decisions")
    # Kept when the link goes (two company links merged into one): the history stays readable.
    link = models.ForeignKey(Link, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    label = models.CharField(max_length=255, blank=True, help_text="The record, as it was called then.")
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    username = models.CharField(max_length=150, blank=True, help_text="Kept if the user is removed later.")
    decided_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)
    state_before = models.CharField(max_length=32, choices=Link.State.choices, blank=True)
    state_after = models.CharField(max_length=32, choices=Link.State.choices, blank=True)
    # What was decided on: the content's hash and, in words, what the person saw.
    content_fingerprint = models.CharField(max_length=64, blank=True)
    decided_on = models.CharField(max_length=500, blank=True)
    amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    # Unlinked: the other side's id of the pair that was split (matching does not suggest that pair again).
    unlinked_from = models.CharField(max_length=64, blank=True)

    class Meta:
        app_label = "connector"
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["link", "decided_at"]), models.Index(fields=["connection", "decided_at"])]

    def __str__(self):
        return f"{self.get_verdict_display()} by {self.username or 'someone'}: {self.label}"

    @property
    def in_words(self) -> str:
        who = self.username or "someone"
        when = self.decided_at.strftime("%d %b %Y %H:%M") if self.decided_at else ""
        what = f" — {self.decided_on}" if self.decided_on else ""
        why = f" Reason: {self.reason}" if self.reason else ""
        return f"{self.get_verdict_display()} by {who} on {when} UTC{what}.{why}"
