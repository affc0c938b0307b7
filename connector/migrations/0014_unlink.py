from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("connector", "0013_bill_dates_and_credit_notes")]

    operations = [
        migrations.AlterField(
            model_name="decision",
            name="verdict",
            field=models.CharField(choices=[
                ("accepted", "Accepted"), ("rejected", "Rejected"), ("resent", "Re-sent"),
                ("export_asked", "Asked to export"), ("import_asked", "Asked to import"),
                ("linked", "Linked by hand"), ("unlinked", "Unlinked"), ("archived", "Archived")], max_length=16),
        ),
        migrations.AddField(
            model_name="decision",
            name="unlinked_from",
            field=models.CharField(blank=True, max_length=64),
        ),
    ]
