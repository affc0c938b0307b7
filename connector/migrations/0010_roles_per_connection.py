"""Roles become per connection: the people e-mailed about a connection (`admins`) become its company admins,
and the former global groups (which gave their rights on every connection) are removed."""

from django.db import migrations

LEGACY_GROUPS = ("Company admin", "Accountant", "Viewer")


def forwards(apps, schema_editor):
    Connection = apps.get_model("connector", "Connection")
    Membership = apps.get_model("connector", "Membership")
    Group = apps.get_model("auth", "Group")
    for connection in Connection.objects.all():
        for user in connection.admins.all():
            Membership.objects.get_or_create(connection=connection, user=user,
                                             defaults={"role": "company_admin"})
    Group.objects.filter(name__in=LEGACY_GROUPS).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("connector", "0009_memberships_and_audit"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveField(model_name="connection", name="admins"),
    ]
