"""Applying connection settings that touch Xero or the schedules."""

from __future__ import annotations

from django.utils import timezone

from ..models import ConnectionSettings


def connection_settings_apply(*, settings_obj: ConnectionSettings, tracking_choice: str, tracking_name: str,
                              create_marker: str, commit: bool = True) -> ConnectionSettings:
    if tracking_choice == create_marker:
        from ..clients import WEB_WAIT_S, xero_client_for

        category = xero_client_for(settings_obj.connection, max_wait_s=WEB_WAIT_S).create_tracking_category("Job")
        settings_obj.tracking_category_id = category.tracking_category_id
        settings_obj.tracking_category_name = category.name
    elif tracking_choice:
        settings_obj.tracking_category_id, settings_obj.tracking_category_name = tracking_choice, tracking_name
    # Payments made before payment sync was switched on are never synced (Procore's rule).
    if settings_obj.payments_cadence != ConnectionSettings.Cadence.NEVER and not settings_obj.payments_enabled_at:
        settings_obj.payments_enabled_at = timezone.now()
    if commit:
        settings_obj.save()
    return settings_obj
