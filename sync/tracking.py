"""The Xero tracking category that holds one option per project (chosen in the settings, else "Job")."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

MAX_ACTIVE_CATEGORIES = 2


class TrackingCategoryUnavailable(ImproperlyConfigured):
    pass


def project_category(ctx):
    """The category object (with its options); created as "Job" when none is set and Xero has room."""
    settings = ctx.settings
    categories = ctx.xero.tracking_categories(include_archived=True)
    if settings.tracking_category_id:
        for category in categories:
            if category.tracking_category_id == settings.tracking_category_id:
                return category
    active = [c for c in categories if c.status == "ACTIVE"]
    named = next((c for c in active if c.name.lower() == (settings.tracking_category_name or "job").lower()), None)
    if named is None:
        if len(active) >= MAX_ACTIVE_CATEGORIES:
            raise TrackingCategoryUnavailable(
                "Xero allows two active tracking categories and this organisation has two "
                f"({', '.join(c.name for c in active)}). Choose one for projects in the connection settings.")
        if ctx.dry_run:
            raise TrackingCategoryUnavailable("Preview: the “Job” tracking category would be created first.")
        named = ctx.xero.create_tracking_category(settings.tracking_category_name or "Job")
        named.options = []
    if settings.tracking_category_id != named.tracking_category_id:
        # The first run picks (or makes) the category when nobody chose one; a choice made meanwhile stands.
        type(settings).objects.filter(pk=settings.pk, tracking_category_id=settings.tracking_category_id).update(
            tracking_category_id=named.tracking_category_id, tracking_category_name=named.name)
        settings.refresh_from_db(fields=["tracking_category_id", "tracking_category_name"])
    return named
