"""Inbound webhook events, kept once per event id so a duplicated delivery is processed once."""

from django.db import models

from .connection import Connection


class WebhookEvent(models.Model):
    class Source(models.TextChoices):
        PROCORE = "procore", "Procore"
        XERO = "xero", "Xero"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="webhook_events")
    source = models.CharField(max_length=16, choices=Source.choices)
    event_id = models.CharField(max_length=255)
    resource_name = models.CharField(max_length=100)
    resource_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=32)
    received_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    message = models.TextField(blank=True)

    class Meta:
        app_label = "connector"
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["source", "event_id"], name="webhook_event_once")]

    def __str__(self):
        return f"{self.source} {self.resource_name} {self.resource_id} {self.event_type}"
