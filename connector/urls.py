from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from .views import health, job_costs, oauth, webhooks

urlpatterns = [
    path("", health.home, name="home"),
    path("health/", health.health, name="health"),
    path("job-costs/", admin.site.admin_view(job_costs.report), name="job_costs"),
    path("job-costs/report.csv", admin.site.admin_view(job_costs.report_download), name="job_costs_csv"),
    path("oauth/procore/callback/", admin.site.admin_view(oauth.procore_callback), name="procore_oauth_callback"),
    path("oauth/xero/callback/", admin.site.admin_view(oauth.xero_callback), name="xero_oauth_callback"),
    path("webhooks/procore/<int:connection_id>/", webhooks.procore_webhook, name="procore_webhook"),
    # the link e-mailed to a person added to a connection, to choose their password (Django's own views)
    path("people/password/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(
        success_url="/people/password/done/"), name="password_reset_confirm"),
    path("people/password/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("webhooks/xero/", webhooks.xero_webhook, name="xero_webhook"),
]
