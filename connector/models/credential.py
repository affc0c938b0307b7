"""OAuth tokens per connection and provider, encrypted at rest."""

from django.db import models

from ..fields import EncryptedTextField
from .connection import Connection


class Credential(models.Model):
    class Provider(models.TextChoices):
        PROCORE = "procore", "Procore"
        XERO = "xero", "Xero"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="credentials")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    access_token = EncryptedTextField()
    refresh_token = EncryptedTextField(blank=True)
    expires_at = models.DateTimeField()
    scope = models.TextField(blank=True)
    # Bumped on every refresh: a worker that waited for the lock sees someone else already refreshed.
    version = models.PositiveIntegerField(default=1)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "connector"
        constraints = [models.UniqueConstraint(fields=["connection", "provider"], name="one_credential_per_provider")]

    def __str__(self):
        return f"{self.get_provider_display()} tokens of connection #{self.connection_id}"
