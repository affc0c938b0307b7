"""The schedules page (django-celery-beat's form, for whoever runs the deployment) reads in words."""

import pytest
from django_celery_beat.models import CrontabSchedule

from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_crontab_help_says_when_it_runs_and_never_undefined(login, live_server):
    UserFactory(username="root", is_superuser=True)
    crontab = CrontabSchedule.objects.create(minute="0", hour="2")
    page = login("root")
    page.goto(f"{live_server.url}/admin/django_celery_beat/periodictask/add/")
    help_text = page.inner_text(".field-crontab .help")
    assert "undefined" not in help_text  # no crontab chosen: the help says nothing more
    page.select_option("#id_crontab", str(crontab.pk))
    help_text = page.inner_text(".field-crontab .help")
    assert "undefined" not in help_text and "Runs at 02:00" in help_text, help_text
