"""What a person decides per Procore project: job cost import on or off, and how Xero lines map to cost codes.

Kept apart from the project's link: only people change these, so no run can revert them."""

from django.conf import settings
from django.db import models

from .connection import Connection


class ProjectSettings(models.Model):
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="project_settings")
    procore_project_id = models.CharField(max_length=32)
    job_costs_enabled = models.BooleanField(
        default=False, help_text="Import Xero spend coded to this project's option as Procore direct costs.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        app_label = "connector"
        verbose_name_plural = "project settings"
        constraints = [models.UniqueConstraint(fields=["connection", "procore_project_id"],
                                               name="one_settings_per_project")]

    def __str__(self):
        return f"Project {self.procore_project_id} of connection #{self.connection_id}"


class CostCodeMapping(models.Model):
    """A Xero line without a usable Item code ("account 510", or an unknown item) → a cost code × cost type."""

    project = models.ForeignKey(ProjectSettings, on_delete=models.CASCADE, related_name="mappings")
    xero_code = models.CharField(max_length=64, help_text="What the Xero line carries: its Item code or account.")
    item_code = models.CharField(max_length=64, help_text="The Procore cost code and cost type, like 01-100.L.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        app_label = "connector"
        constraints = [models.UniqueConstraint(fields=["project", "xero_code"], name="one_mapping_per_code")]

    def __str__(self):
        return f"{self.xero_code} → {self.item_code}"
