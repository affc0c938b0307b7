from django.contrib import admin
from django.urls import path

from .views import health, oauth, webhooks

urlpatterns = [
    path("", health.home, name="home"),
    path("health/", health.health, name="health"),
    path("oauth/procore/callback/", admin.site.admin_view(oauth.procore_callback), name="procore_oauth_callback"),
    path("oauth/xero/callback/", admin.site.admin_view(oauth.xero_callback), name="xero_oauth_callback"),
    path("webhooks/procore/<int:connection_id>/", webhooks.procore_webhook, name="procore_webhook"),
    path("webhooks/xero/", webhooks.xero_webhook, name="xero_webhook"),
]
